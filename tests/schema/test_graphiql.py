"""GraphiQL's page and files over HTTP: `/` redirects to it, it references only files this
server serves (the unmodified npm releases of schema/static/graphiql/, checked against
MANIFEST.txt and the pins of .ci/graphiql/), `?demo=` pre-fills outside production only,
and with GraphiQL off none of it exists (docs/architecture.md#graphiql). The page in a real
browser: tests/demo/test_graphiql_browser.py."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace

import httpx
import pytest

from app.config import PROJECT_ROOT
from schema.asgi import create_app
from schema.graphiql import STATIC

HTML = {"accept": "text/html"}
CONFIG = re.compile(r'<script id="crm-graphiql-config" type="application/json">(.*?)</script>',
                    re.S)


def _client(settings, db) -> httpx.AsyncClient:  # noqa: ANN001
    transport = httpx.ASGITransport(app=create_app(settings=settings, db=db))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def _config(page: httpx.Response) -> dict:
    return json.loads(CONFIG.search(page.text).group(1))


async def test_root_redirects_to_graphiql_keeping_the_query(api):
    assert (await api.client.get("/")).headers["location"] == "/graphql"
    moved = await api.client.get("/?demo=admin")
    assert moved.status_code == 307 and moved.headers["location"] == "/graphql?demo=admin"


async def test_the_page_loads_only_files_this_server_serves(api):
    page = await api.client.get("/graphql", headers=HTML)
    assert page.status_code == 200 and "script-src 'self'" in \
        page.headers["content-security-policy"]
    assert not re.search(r"(https?:)?//", CONFIG.sub("", page.text))  # no other origin
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert {r for r in refs if not r.startswith("data:")} == {
        "/static/graphiql/graphiql.min.css", "/static/graphiql/react.production.min.js",
        "/static/graphiql/react-dom.production.min.js", "/static/graphiql/graphiql.min.js",
        "/static/crm-graphiql.js"}
    for ref in refs:
        if ref.startswith("/"):
            served = await api.client.get(ref)
            assert served.status_code == 200, ref
            assert served.content == (STATIC / ref.removeprefix("/static/")).read_bytes()
    assert _config(page)["demoLogin"] is None


def test_the_shipped_files_are_the_pinned_npm_releases():
    manifest = (STATIC / "graphiql" / "MANIFEST.txt").read_text().splitlines()
    pins = json.loads((PROJECT_ROOT / ".ci/graphiql/package.json").read_text())["dependencies"]
    lock = json.loads((PROJECT_ROOT / ".ci/graphiql/package-lock.json").read_text())
    shipped = {}
    for line in manifest:
        if re.fullmatch(r"[0-9a-f]{64}  \S+  \S+", line):
            digest, name, package = line.split("  ")
            shipped[name] = package
            assert hashlib.sha256((STATIC / "graphiql" / name).read_bytes()).hexdigest() == \
                digest, f"{name} differs from its npm release: make graphiql-assets"
    assert set(shipped) == {p.name for p in (STATIC / "graphiql").iterdir()} - {"MANIFEST.txt"}
    for package in set(shipped.values()):
        name, _, version = package.rpartition("@")
        assert pins[name] == version == lock["packages"][f"node_modules/{name}"]["version"]
    assert {"LICENSE.graphiql", "LICENSE.react", "LICENSE.react-dom"} <= set(shipped)


async def test_demo_prefills_a_demo_login_in_development(api):
    config = _config(await api.client.get("/graphql?demo=logistics", headers=HTML))
    assert config["demoLogin"] == {"email": "logistics@demo.local", "password": "demo-password"}
    assert "orders(first: 10)" in config["defaultQuery"]
    by_email = _config(await api.client.get("/graphql?demo=Admin@demo.local", headers=HTML))
    assert by_email["demoLogin"]["email"] == "admin@demo.local"

    unknown = _config(await api.client.get("/graphql?demo=root", headers=HTML))
    assert unknown["demoLogin"] is None and "no demo login 'root'" in unknown["notice"]


async def test_the_config_cannot_close_its_script_element(api):
    page = await api.client.get("/graphql", params={"demo": "</script><script>x()"},
                                headers=HTML)
    assert "</script><script>x()" not in page.text
    assert "</script><script>x()" in _config(page)["notice"]


@pytest.mark.parametrize("graphiql", [True, False])
async def test_production_never_prefills(settings, db, graphiql):  # noqa: ANN001
    prod = replace(settings, env="production", graphiql=graphiql)
    async with _client(prod, db) as client:
        page = await client.get("/graphql?demo=admin", headers=HTML)
        root = await client.get("/")
        asset = await client.get("/static/graphiql/graphiql.min.js")
    if graphiql:  # CRM_GRAPHIQL=1: the page, without the pre-fill
        config = _config(page)
        assert config["demoLogin"] is None and "production" in config["notice"]
        assert "demo-password" not in page.text
        assert root.status_code == 307 and asset.status_code == 200
    else:
        assert page.status_code == 404 and "graphiql" not in page.text.lower()
        assert root.status_code == 404 and asset.status_code == 404
