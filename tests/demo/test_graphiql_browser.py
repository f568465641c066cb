"""GraphiQL in headless Chromium against a live server on the demo data: the page loads from
the server's own files, a user signs in with the login mutation, puts the token in the
headers pane and sees the orders; `?demo=` pre-fills the headers pane. Every request the
browser makes is recorded: none may leave the machine. A screenshot of each page is written
to var/graphiql/ on every run (docs/architecture.md#graphiql).

Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them); skipped only
when they are absent. Every wait is for a DOM condition, with a deadline."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from app.config import PROJECT_ROOT
from app.demo.catalog_data import DEMO_PASSWORD
from tests.subscriptions.harness import LiveServer, live_settings

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver (apt-get install -y chromium "
           "chromium-driver; .ci/run installs them)")

WAIT = 90  # seconds: a cold Chromium on a loaded 2-core machine
SHOTS = PROJECT_ROOT / "var" / "graphiql"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# not the network: inline data, and Chromium's own pages (its start-up new tab page)
NO_NETWORK = {"data", "blob", "about", "chrome", "chrome-untrusted"}
LOGIN = f"""mutation {{
  login(email: "admin@demo.local", password: "{DEMO_PASSWORD}") {{ accessToken }}
}}"""
ORDERS = "{ me { role } orders(first: 10) { edges { node { number status } } } }"

# the CodeMirror editor of GraphiQL's query, visible tool (headers) and result panes
EDITOR = {
    "query": ".graphiql-query-editor .CodeMirror",
    "tool": ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror",
    "result": ".result-window .CodeMirror",
}


@pytest.fixture(scope="module")
def server(demo, settings) -> Iterator[LiveServer]:  # noqa: ANN001
    live = LiveServer(live_settings(replace(settings, database_url=demo.url)),
                      demo.runner.db).start()
    yield live
    live.stop()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,900", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", f"--user-data-dir={tmp_path}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def _editor_text(driver: webdriver.Chrome, pane: str) -> str | None:
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "return e && e.CodeMirror ? e.CodeMirror.getValue() : null;", EDITOR[pane])


def _type(driver: webdriver.Chrome, pane: str, text: str) -> None:
    """Replace an editor's text the way typing does (CodeMirror's change event, which
    GraphiQL listens to)."""
    WebDriverWait(driver, WAIT).until(lambda d: _editor_text(d, pane) is not None)
    driver.execute_script("document.querySelector(arguments[0]).CodeMirror.setValue("
                          "arguments[1]);", EDITOR[pane], text)
    assert _editor_text(driver, pane) == text


def _run(driver: webdriver.Chrome, wanted: str) -> dict:
    """Press the run button and wait for a result that holds `wanted`; the result."""
    before = _editor_text(driver, "result")
    driver.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    WebDriverWait(driver, WAIT).until(
        lambda d: (text := _editor_text(d, "result")) and text != before and wanted in text,
        f"no result with {wanted!r}")
    return json.loads(_editor_text(driver, "result"))


def _open(driver: webdriver.Chrome, url: str) -> None:
    driver.get(url)
    WebDriverWait(driver, WAIT).until(lambda d: _editor_text(d, "query") is not None,
                                      "GraphiQL did not start")


def _on_screen(driver: webdriver.Chrome) -> str:
    """The text the result pane shows (CodeMirror draws only the lines in view)."""
    return driver.find_element(By.CSS_SELECTOR, ".result-window").text


def _requests(driver: webdriver.Chrome) -> set[str]:
    urls = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            urls.add(params["request"]["url"])
        elif message["method"] == "Network.webSocketCreated":
            urls.add(params["url"])
    return urls


def _assert_local(driver: webdriver.Chrome, server: LiveServer) -> None:
    urls = _requests(driver)
    assert f"{server.url}/static/graphiql/graphiql.min.js" in urls, sorted(urls)
    gone = sorted(u for u in urls if urlsplit(u).scheme not in NO_NETWORK
                  and urlsplit(u).hostname not in LOCAL_HOSTS)
    assert not gone, f"requests that left the machine: {gone}"
    severe = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe  # a blocked (CSP) or failed load is logged SEVERE


async def _expected(server: LiveServer, token: str, query: str = ORDERS) -> dict:
    """What the API answers the same query with the same token."""
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as client:
        response = await client.post("/graphql", json={"query": query},
                                     headers={"authorization": f"Bearer {token}"})
    return response.json()


def _numbers(result: dict) -> list[str]:
    return [e["node"]["number"] for e in result["data"]["orders"]["edges"]]


async def test_sign_in_then_orders_from_local_files_only(server, browser):  # noqa: ANN001
    try:
        _open(browser, f"{server.url}/graphql")
        _type(browser, "query", LOGIN)
        token = _run(browser, "accessToken")["data"]["login"]["accessToken"]

        browser.find_element(By.XPATH, "//div[contains(@class, 'graphiql-editor-tools')]"
                                       "//button[normalize-space()='Headers']").click()
        _type(browser, "tool", json.dumps({"Authorization": f"Bearer {token}"}))
        _type(browser, "query", ORDERS)
        shown = _run(browser, "edges")

        expected = await _expected(server, token)
        assert shown == expected and "errors" not in shown
        assert shown["data"]["me"]["role"] == "ADMIN" and len(_numbers(shown)) == 10
        assert _numbers(shown)[0] in _on_screen(browser)
        _assert_local(browser, server)
    finally:
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SHOTS / "sign-in-then-orders.png"))


async def test_demo_parameter_prefills_the_headers_pane(server, browser):  # noqa: ANN001
    try:
        _open(browser, f"{server.url}/?demo=sales")  # `/` redirects, the query kept
        assert urlsplit(browser.current_url).path == "/graphql"
        WebDriverWait(browser, WAIT).until(
            lambda d: "Signed in as sales@demo.local" in d.find_element(By.ID,
                                                                        "crm-status").text)
        headers = json.loads(_editor_text(browser, "tool"))
        token = headers["Authorization"].removeprefix("Bearer ")
        query = _editor_text(browser, "query")
        assert "orders(first: 10)" in query  # the orders query is there already
        shown = _run(browser, "edges")

        assert shown == await _expected(server, token, query) and "errors" not in shown
        assert shown["data"]["me"]["role"] == "SALES" and _numbers(shown)
        assert _numbers(shown)[0] in _on_screen(browser)
        _assert_local(browser, server)
    finally:
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SHOTS / "demo-prefill.png"))
