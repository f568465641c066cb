"""The analytics fixture, written once per module run (tests/analytics/fixture.py)."""

from __future__ import annotations

import pytest

from tests.analytics.fixture import Fixture, write
from tests.support import unique


@pytest.fixture(scope="session")
def fx(factory):  # noqa: ANN001, ANN201
    rep1, rep2 = factory.user("SALES"), factory.user("SALES")
    data = Fixture(unique("AnaR"), unique("AnaNY"), reps=(rep1, rep2))
    for name, owner in (("A", rep1), ("B", rep1), ("C", rep2), ("D", rep2), ("E", rep2)):
        data.customers[name] = factory.customer(owner_id=owner.id, region=data.region).id
    data.customers["F"] = factory.customer(region=data.ny_region).id
    data.customers["G"] = factory.customer(region=unique("AnaG")).id
    return factory.write(write, data)
