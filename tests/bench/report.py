"""Scenario results: a printed table (figures, ratios to the baseline, targets) and
var/bench/latest.json, a list of {name, database, figures, targets: [{name, value, limit,
met}]}."""

from __future__ import annotations

import math
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from app.config import PROJECT_ROOT

LATEST = PROJECT_ROOT / "var" / "bench" / "latest.json"


@dataclass
class Target:
    name: str
    value: float | None
    limit: float
    op: str = "<="  # value op limit must hold

    @property
    def met(self) -> bool:
        if self.value is None or (isinstance(self.value, float) and math.isnan(self.value)):
            return False
        return {"<=": self.value <= self.limit, "<": self.value < self.limit,
                ">=": self.value >= self.limit, "==": self.value == self.limit}[self.op]

    def as_dict(self) -> dict:
        return {"name": self.name, "value": _round(self.value), "limit": self.limit,
                "op": self.op, "met": self.met}


@dataclass
class Scenario:
    name: str
    database: str
    dataset: str
    figures: dict[str, object] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def target(self, name: str, value: float | None, limit: float, op: str = "<=") -> None:
        self.targets.append(Target(name, value, limit, op))

    def as_dict(self) -> dict:
        return {"name": self.name, "database": self.database, "dataset": self.dataset,
                "figures": {k: _round(v) for k, v in self.figures.items()},
                "targets": [t.as_dict() for t in self.targets], "notes": self.notes}


def _round(value: object) -> object:
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return round(value, 3 if abs(value) < 100 else 1)
    return value


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}" if abs(value) < 1000 \
            else f"{value:,.0f}"
    return str(value)


def print_scenario(s: Scenario, out=print) -> None:  # noqa: ANN001
    out(f"\n== {s.name} [{s.database}, dataset {s.dataset}]")
    width = max((len(k) for k in s.figures), default=10)
    for key, value in s.figures.items():
        out(f"   {key:<{width}}  {_fmt(value)}")
    for t in s.targets:
        mark = "MET " if t.met else "MISS"
        out(f"   [{mark}] {t.name}: {_fmt(t.value)} (target {t.op} {_fmt(t.limit)})")
    for note in s.notes:
        out(f"   note: {note}")


def calibration_ms() -> float:
    """A fixed pure-Python workload (best of 5): how fast this machine runs the interpreter
    right now. Shared cloud cores vary by 1.5x from day to day; figures from two runs compare
    only as well as their calibrations do."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.perf_counter() - started)
    return best * 1000


_MACHINE: dict | None = None


def machine() -> dict:
    """Measured once per run (the calibration takes ~0.5 s)."""
    global _MACHINE
    if _MACHINE is None:
        _MACHINE = {**_describe(), "python_loop_ms": round(calibration_ms(), 1)}
    return _MACHINE


def _describe() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "system": platform.platform(), "at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                  time.gmtime())}


def write_latest(scenarios: list[Scenario], path: Path = LATEST) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    info = machine()
    rows = [{**s.as_dict(), "machine": info} for s in scenarios]
    path.write_bytes(orjson.dumps(rows, option=orjson.OPT_INDENT_2))
    return path


def summary(scenarios: list[Scenario], out=print) -> None:  # noqa: ANN001
    total = sum(len(s.targets) for s in scenarios)
    met = sum(t.met for s in scenarios for t in s.targets)
    out(f"\n{met}/{total} targets met")
    for s in scenarios:
        for t in s.targets:
            if not t.met:
                out(f"  MISS {s.name} [{s.database}] {t.name}: {_fmt(t.value)} "
                    f"(target {t.op} {_fmt(t.limit)})")


def markdown(path: Path = LATEST) -> str:
    """The README table: one row per target of the last run (`python -m tests.bench.report`)."""
    rows = orjson.loads(path.read_bytes())
    head = rows[0]["machine"] if rows else {}
    out = [f"Machine: {head.get('cpu')}, {head.get('cores')} cores, Python "
           f"{head.get('python')}, calibration loop {head.get('python_loop_ms')} ms; run at "
           f"{head.get('at')}.", "",
           "| scenario | db | target | measured | limit | met |", "|---|---|---|---|---|---|"]
    for s in rows:
        for t in s["targets"]:
            out.append(f"| {s['name']} | {s['database']} | {t['name']} | {_fmt(t['value'])} | "
                       f"{t['op']} {_fmt(t['limit'])} | {'yes' if t['met'] else '**no**'} |")
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown())
