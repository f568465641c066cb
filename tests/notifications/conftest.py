"""A live server (real uvicorn on a loopback port) for the tests of this directory."""

from tests.subscriptions.fixtures import live, live_api, live_kit  # noqa: F401
