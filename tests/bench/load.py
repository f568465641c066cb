"""A small async load driver: keep-alive HTTP/1.1 over raw asyncio streams, loopback only.

A hand-rolled client costs the driver a few tens of microseconds per request (httpx costs
several hundred), so on a 2-core machine the driver does not starve the server it measures.
Every run is bounded by a request count and a time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

HOST = "127.0.0.1"


@dataclass
class Response:
    status: int
    headers: dict[bytes, bytes]
    body: bytes

    @property
    def sql_count(self) -> int | None:
        value = self.headers.get(b"x-sql-count")
        return None if value is None else int(value)

    @property
    def sql_control(self) -> int | None:
        """BEGIN / COMMIT / ROLLBACK round trips of the request (tests/bench/app.py)."""
        value = self.headers.get(b"x-sql-control")
        return None if value is None else int(value)

    @property
    def sql_pipelined(self) -> int:
        """Statements that went in one round trip with others (tests/bench/app.py)."""
        return int(self.headers.get(b"x-sql-pipelined", b"0"))

    def json(self) -> dict:
        return orjson.loads(self.body)


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port, limit=1 << 24)
        return self

    async def request(self, raw: bytes) -> Response:
        if self.writer is None:
            await self.open()
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                key, _, value = line.partition(b":")
                headers[key.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(headers.get(b"content-length", b"0")))
        if headers.get(b"connection") == b"close":
            await self.close()
        return Response(status, headers, body)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


def post(path: str, payload: dict | bytes, token: str | None = None) -> bytes:
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{auth}\r\n").encode() + body


def get(path: str, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n{auth}\r\n".encode()


async def fetch_json(port: int, path: str, payload: dict | None = None) -> dict:
    """GET one of the benchmark server's JSON endpoints (POST `payload` when given) on a
    connection of its own."""
    conn = await Connection(port).open()
    try:
        return (await conn.request(get(path) if payload is None else post(path, payload))).json()
    finally:
        await conn.close()


def graphql(query: str | None, variables: dict | None = None, token: str | None = None,
            extensions: dict | None = None) -> bytes:
    payload: dict = {"variables": variables or {}}
    if query is not None:
        payload["query"] = query
    if extensions:
        payload["extensions"] = extensions
    return post("/graphql", payload, token)


@dataclass
class Sample:
    """Latencies (seconds) and per-request facts of one target."""

    latencies: list[float] = field(default_factory=list)
    sql_counts: list[int] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    elapsed: float = 0.0
    server_cpu: float = 0.0
    db_cpu: float = 0.0  # PostgreSQL's backends (db_cpu.py), when measured

    def add(self, other: Sample) -> None:
        self.latencies += other.latencies
        self.sql_counts += other.sql_counts
        self.errors += other.errors
        self.first_error = self.first_error or other.first_error
        self.elapsed += other.elapsed
        self.server_cpu += other.server_cpu
        self.db_cpu += other.db_cpu

    @property
    def count(self) -> int:
        return len(self.latencies)

    def pct(self, q: float) -> float:
        """Percentile in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p99(self) -> float:
        return self.pct(0.99)

    @property
    def rps(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    @property
    def sql_per_request(self) -> float:
        return statistics.mean(self.sql_counts) if self.sql_counts else float("nan")

    @property
    def cpu_per_request_ms(self) -> float:
        return self.server_cpu / self.count * 1000 if self.count else float("nan")

    @property
    def db_cpu_per_request_ms(self) -> float:
        return self.db_cpu / self.count * 1000 if self.count else float("nan")

    @property
    def total_cpu_per_request_ms(self) -> float:
        return self.cpu_per_request_ms + self.db_cpu_per_request_ms


def is_error(resp: Response) -> bool:
    return resp.status != 200 or b'"errors"' in resp.body[:20] or b'"errors":' in resp.body


async def closed_loop(port: int, make: Callable[[int], bytes], *, count: int, concurrency: int,
                      time_limit: float, check: Callable[[Response], bool] = is_error,
                      cpu: Callable[[], float] | None = None,
                      db_cpu: Callable[[], float] | None = None) -> Sample:
    """`concurrency` clients, each sending its next request when the last one answered."""
    sample = Sample()
    issued = 0
    deadline = time.perf_counter() + time_limit

    async def client() -> None:
        nonlocal issued
        conn = await Connection(port).open()
        try:
            while issued < count and time.perf_counter() < deadline:
                n = issued
                issued += 1
                raw = make(n)
                started = time.perf_counter()
                resp = await conn.request(raw)
                sample.latencies.append(time.perf_counter() - started)
                if resp.sql_count is not None:
                    sample.sql_counts.append(resp.sql_count)
                if check(resp):
                    sample.errors += 1
                    sample.first_error = sample.first_error or resp.body[:500].decode(
                        errors="replace")
        finally:
            await conn.close()

    cpu_before = cpu() if cpu else 0.0
    db_before = db_cpu() if db_cpu else 0.0
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    sample.elapsed = time.perf_counter() - started
    sample.server_cpu = (cpu() - cpu_before) if cpu else 0.0
    sample.db_cpu = (db_cpu() - db_before) if db_cpu else 0.0
    return sample


async def alternate(port: int, targets: dict[str, Callable[[int], bytes]], *, rounds: int,
                    per_round: int, concurrency: int, time_limit: float,
                    cpu: Callable[[], float] | None = None,
                    db_cpu: Callable[[], float] | None = None,
                    warmup: int = 20) -> dict[str, Sample]:
    """Run the targets in alternating blocks (order flipped every round), so drift in the
    machine's load hits all of them alike."""
    for make in targets.values():
        await closed_loop(port, make, count=warmup, concurrency=1, time_limit=time_limit)
    results = {name: Sample() for name in targets}
    deadline = time.perf_counter() + time_limit
    names = list(targets)
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            left = deadline - time.perf_counter()
            if left <= 0:
                return results
            results[name].add(await closed_loop(
                port, targets[name], count=per_round, concurrency=concurrency,
                time_limit=left, cpu=cpu, db_cpu=db_cpu))
    return results


def count_fields(value: object) -> int:
    """Fields in a GraphQL response's data: every key of every object, list items included."""
    if isinstance(value, dict):
        return len(value) + sum(count_fields(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_fields(v) for v in value)
    return 0
