"""Sign-in throttling (the security issue's finding: 40 wrong passwords, then the right one
accepted; 25 logins in one request all ran): the rules on a clock of their own, then
through the API."""

from __future__ import annotations

from app.auth.throttle import FREE, LoginThrottle

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  accessToken userErrors { message code retryAfterSeconds } } }"""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_past_the_allowance_double_the_wait():
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(FREE["account"]):
        assert throttle.wait("A@x.com", "10.0.0.1") == 0
        throttle.failed("a@x.com", "10.0.0.1")
    assert throttle.wait("a@x.com ", "10.0.0.9") == 1  # the account, whatever the client
    clock.now += 1
    assert throttle.wait("a@x.com", None) == 0
    throttle.failed("a@x.com", None)
    assert throttle.wait("a@x.com", None) == 2
    throttle.failed("a@x.com", None)
    assert throttle.wait("a@x.com", None) == 4
    throttle.succeeded("a@x.com")
    assert throttle.wait("a@x.com", None) == 0
    clock.now += 10_000  # failures older than the window are forgotten
    assert throttle.wait("b@x.com", "10.0.0.1") == 0


def test_one_client_trying_many_accounts_is_slowed_down():
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for i in range(FREE["client"]):
        throttle.failed(f"user{i}@x.com", "10.0.0.7")
    assert throttle.wait("someone-else@x.com", "10.0.0.7") == 1
    assert throttle.wait("someone-else@x.com", "10.0.0.8") == 0


async def test_the_right_password_waits_too_and_one_login_per_request(api, app, factory):
    clock, kept = Clock(), app.state.crm.login_throttle
    app.state.crm.login_throttle = LoginThrottle(clock=clock)  # the app is the session's
    try:
        await _throttled(api, factory, clock)
    finally:
        app.state.crm.login_throttle = kept


async def _throttled(api, factory, clock):  # noqa: ANN001, ANN202
    user = factory.user("SALES", password="right-password")
    for _ in range(FREE["account"]):
        wrong = (await api.ok(LOGIN, {"e": user.email, "p": "wrong"}))["login"]
        assert wrong["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    held = (await api.ok(LOGIN, {"e": user.email, "p": "right-password"}))["login"]
    assert held["accessToken"] is None
    assert held["userErrors"] == [{"message": "too many failed sign-ins: try again in 1 s",
                                   "code": "THROTTLED", "retryAfterSeconds": 1}]
    clock.now += 1
    ok = (await api.ok(LOGIN, {"e": user.email, "p": "right-password"}))["login"]
    assert ok["accessToken"] and ok["userErrors"] == []
    twice = await api.ok("""mutation($e: String!, $p: String!) {
      a: login(email: $e, password: $p) { accessToken userErrors { code } }
      b: login(email: $e, password: $p) { accessToken userErrors { code } } }""",
                         {"e": user.email, "p": "right-password"})
    assert twice["a"]["accessToken"] and twice["b"] == {
        "accessToken": None, "userErrors": [{"code": "THROTTLED"}]}
