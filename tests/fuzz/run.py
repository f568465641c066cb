"""`make fuzz`: schemathesis over every query and mutation, as ADMIN and as CUSTOMER, each
against a live server of its own on a fresh SQLite database with the demo data
(docs/architecture.md#fuzzing).

    python -m tests.fuzz.run [--examples N] [--seed S] [--role ADMIN --role CUSTOMER]

A role's run fails on a 5xx or an unmasked error (`tests/fuzz/hooks.py`); masked errors
("Unexpected error", the API's answer to an exception no rule expected) are counted and their
causes, from the server's log, printed, and fail the run only with `--fail-on-masked`.

The generated IDs are drawn half the time from the demo's real global IDs (a schemathesis
dictionary bound to every ID argument and input field), so mutations get past NOT_FOUND into
their rules.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLSchema, build_schema

from app.config import PROJECT_ROOT
from app.ids import to_global_id
from tests.bench.server import free_port

BIN = Path(sys.executable).parent
ROLES = {"ADMIN": "admin@demo.local", "CUSTOMER": "customer@demo.local"}
PASSWORD = "demo-password"  # app/demo/catalog_data.py DEMO_PASSWORD
SECRET = "crm-fuzz-secret-" + "f" * 40
# node types whose global IDs the dictionaries hold, by the argument names that take them;
# rows 1..ROWS of each exist in the demo data for most of them
NODE_TYPES = {
    "Carrier": ("carrierId",), "CarrierRateRule": (), "CarrierService": ("serviceId",),
    "CarrierWebhookEvent": (), "CodRemittance": (), "Customer": ("customerId",),
    "Notification": (), "Order": ("orderId",), "OrderLine": ("orderLineId",),
    "Payment": (), "Product": ("productId",), "ReturnRequest": (),
    "Shipment": ("shipmentId",), "ShipmentException": ("exceptionId",),
    "StockLevel": (), "StockMovement": (),
    "User": ("actorId", "ownerId", "assigneeId"),
    "Warehouse": ("warehouseId", "fromWarehouseId", "toWarehouseId"),
}
ROWS = 6


def server_env(tmp: Path, port: int) -> dict[str, str]:
    env = {**os.environ, "CRM_DATABASE_URL": f"sqlite:///{tmp / 'fuzz.db'}",
           "CRM_VAR_DIR": str(tmp), "CRM_PORT": str(port), "CRM_JWT_SECRET": SECRET,
           "CRM_ENV": "development",
           # one client under one account sends ~70 requests a second, over the per-principal
           # budget (50/s): the budget would answer 429 THROTTLED to most of the run
           "CRM_REQUEST_RATE": "0"}
    env.pop("CRM_REDIS_URL", None)
    return env


def start_server(tmp: Path) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    env = server_env(tmp, port)
    for step in (["migrate"], ["seed-demo"]):
        subprocess.run([BIN / "crm", *step], env=env, check=True, stdout=subprocess.DEVNULL)
    log_path = tmp / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([BIN / "crm", "serve"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}): {log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                return proc, base, log_path
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start in 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def graphql(base: str, query: str, variables: dict | None = None,
            token: str | None = None) -> dict:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{base}/graphql", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def login(base: str, email: str) -> str:
    body = graphql(base, "mutation($e: String!, $p: String!) { login(email: $e, password: $p) "
                         "{ accessToken userErrors { message } } }", {"e": email, "p": PASSWORD})
    token = body["data"]["login"]["accessToken"]
    if not token:
        raise SystemExit(f"cannot sign in as {email}: {body}")
    return token


def _unwrap(kind: object) -> tuple[object, bool]:
    listed = False
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        listed = listed or isinstance(kind, GraphQLList)
        kind = kind.of_type
    return kind, listed


def _id_paths(fields: dict, prefix: str, depth: int = 0) -> list[tuple[str, str]]:
    """(binding path, argument name) of every ID among these arguments or input fields."""
    out: list[tuple[str, str]] = []
    for name, field in fields.items():
        kind, listed = _unwrap(field.type)
        path = f"{prefix}.{name}" + ("[*]" if listed else "")
        if getattr(kind, "name", None) == "ID":
            out.append((path, name))
        elif isinstance(kind, GraphQLInputObjectType) and depth < 3:
            out.extend(_id_paths(kind.fields, path, depth + 1))
    return out


def _dictionary_for(name: str, field_name: str) -> str:
    for type_name, names in NODE_TYPES.items():
        if name in names:
            return type_name
    if name == "id":  # orderApprove(id:) takes an Order: the longest type the field starts with
        starts = [t for t in NODE_TYPES if field_name.lower().startswith(t.lower())]
        if starts:
            return max(starts, key=len)
    return "any"


def config_file(schema: GraphQLSchema, path: Path) -> Path:
    """A schemathesis.toml binding every ID argument and input field to real global IDs."""
    values = {t: [to_global_id(t, pk) for pk in range(1, ROWS + 1)] for t in NODE_TYPES}
    values["any"] = [v for ids in values.values() for v in ids]
    lines = []
    for name, ids in values.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(ids)}", ""]
    lines.append("[parameters]")
    for root in (schema.query_type, schema.mutation_type):
        for field_name, field in root.fields.items():
            for binding, name in _id_paths(field.args, f"{root.name}.{field_name}"):
                dictionary = _dictionary_for(name, field_name)
                lines.append(f'"{binding}" = {{ dictionary = "{dictionary}", probability = 0.5 }}')
    path.write_text("\n".join(lines) + "\n")
    return path


def masked_causes(log_text: str) -> Counter:
    """The cause of each masked error the server logged: the exception line that ends the
    first traceback after it."""
    causes: Counter = Counter()
    for block in log_text.split("unexpected error (request ")[1:]:
        lines = block.splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("Traceback")), 0)
        cause = next((line for line in lines[start + 1:] if line and not line[0].isspace()),
                     lines[0])
        causes[cause[:200]] += 1
    return causes


def fuzz_role(role: str, args: argparse.Namespace, schema: GraphQLSchema,
              work: Path) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix=f"fuzz-{role.lower()}-", dir=work))
    proc, base, log_path = start_server(tmp)
    try:
        token = login(base, ROLES[role])
        config = config_file(schema, tmp / "schemathesis.toml")
        cmd = [BIN / "schemathesis", "--config-file", config, "--no-color", "run",
               f"{base}/graphql", "-H", f"Authorization: Bearer {token}",
               "--checks", "no_unmasked_error", "--max-examples", str(args.examples),
               "--seed", str(args.seed), "--workers", "1", "--generation-database", "none",
               "--warnings", "off"]
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
               "PYTHONPATH": str(PROJECT_ROOT), "CRM_FUZZ_MASKED_LOG": str(tmp / "masked.jsonl")}
        print(f"== fuzz as {role} ({ROLES[role]}): {args.examples} examples per operation, "
              f"seed {args.seed} ==", flush=True)
        started = time.monotonic()
        result = subprocess.run(cmd, cwd=tmp, env=env)  # its crash files go under var/fuzz
        elapsed = time.monotonic() - started
        me = graphql(base, "{ me { role } }", token=token).get("data") or {}
        if (me.get("me") or {}).get("role") != role:
            print(f"!! the {role} token no longer signs in at the end of the run: {me}")
    finally:
        stop_server(proc)
    causes = masked_causes(log_path.read_text(errors="replace"))
    masked = sum(causes.values())
    print(f"== {role}: schemathesis exit {result.returncode}, {elapsed:.0f} s, "
          f"masked errors: {masked} ==")
    for cause, count in causes.most_common():
        print(f"   {count:5d}  {cause}")
    if masked:
        print(f"   requests: {tmp / 'masked.jsonl'}; server log: {log_path}")
    return result.returncode == 0 and not (args.fail_on_masked and masked)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.run")
    parser.add_argument("--examples", type=int, default=50, help="per operation and role")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--role", action="append", choices=sorted(ROLES))
    parser.add_argument("--fail-on-masked", action="store_true",
                        help="masked errors fail the run (otherwise they are reported)")
    args = parser.parse_args(argv)
    schema = build_schema((PROJECT_ROOT / "frontend-contract" / "schema.graphql").read_text())
    work = PROJECT_ROOT / "var" / "fuzz"  # the last run's databases, logs and requests
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.monotonic()
    results = {role: fuzz_role(role, args, schema, work) for role in args.role or ROLES}
    verdicts = ", ".join(f"{role} {'ok' if ok else 'FAILED'}" for role, ok in results.items())
    print(f"== fuzz: {verdicts} in {time.monotonic() - started:.0f} s ==")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
