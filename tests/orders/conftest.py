from __future__ import annotations

import pytest

from tests.orders.support import Kit


@pytest.fixture
def kit(api, factory) -> Kit:  # noqa: ANN001
    return Kit(api, factory)
