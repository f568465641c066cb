from tests.subscriptions.fixtures import live, live_api, live_kit  # noqa: F401
