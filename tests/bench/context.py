"""What every scenario gets: the server, the dataset, tokens, and the run's budgets."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from app.auth.tokens import issue_access_token
from app.config import load_settings
from tests.bench import dataset
from tests.bench.server import BENCH_SECRET, Server


@dataclass(frozen=True)
class Budget:
    """How much each scenario measures: quick keeps the whole run under 3 minutes."""

    quick: bool
    s1_rounds: int
    s1_per_round: int
    s3_clients: tuple[int, ...]
    s3_orders_per_step: int
    s3_seconds_per_step: float
    s4_subscribers: tuple[int, ...]
    s4_events: int
    s5_requests: int
    s5_seconds: float


# quick: 10,000 subscribers on the first database only, without their baseline run
QUICK = Budget(quick=True, s1_rounds=6, s1_per_round=25, s3_clients=(1, 16, 32, 64),
               s3_orders_per_step=1_000, s3_seconds_per_step=0.8,
               s4_subscribers=(1_000, 10_000), s4_events=5, s5_requests=240, s5_seconds=1.6)
FULL = Budget(quick=False, s1_rounds=12, s1_per_round=50, s3_clients=(1, 2, 4, 8, 16, 32, 64),
              s3_orders_per_step=5_000, s3_seconds_per_step=6.0,
              s4_subscribers=(1_000, 10_000), s4_events=20, s5_requests=1_500, s5_seconds=10.0)


@dataclass
class BenchContext:
    server: Server
    database: str  # "sqlite" or "postgresql"
    database_url: str
    size: dataset.Size
    budget: Budget
    log: object = print
    notes: list[str] = field(default_factory=list)
    events_sent: int = 0  # S4: status changes sent so far (hold and release alternate)
    first_database: bool = True  # quick runs measure 10,000 subscribers on the first only

    @property
    def port(self) -> int:
        return self.server.port

    @cached_property
    def _settings(self):  # noqa: ANN202
        return load_settings({"CRM_JWT_SECRET": BENCH_SECRET,
                              "CRM_DATABASE_URL": self.database_url})

    def token(self, user_id: int, role: str, *, customer_id: int | None = None,
              warehouse_ids: list[int] | None = None) -> str:
        return issue_access_token(self._settings, user_id=user_id, role=role,
                                  customer_id=customer_id, warehouse_ids=warehouse_ids,
                                  ttl_seconds=4 * 3600)[0]

    @cached_property
    def admin(self) -> str:
        return self.token(dataset.ADMIN_ID, "ADMIN")

    @cached_property
    def manager(self) -> str:
        return self.token(dataset.MANAGER_ID, "MANAGER")

    @cached_property
    def analyst(self) -> str:
        return self.token(dataset.ANALYST_ID, "ANALYST")
