"""The execution shortcuts (schema/engine/execution.py, schema/engine/lean.py) answer exactly as
strawberry and graphql-core do without them: the same data, and the same errors with the
same paths, for plain values, odd values, nulls, awaitables and refused permissions.
Equivalence tests: `make check-upstream` runs them against the newest strawberry."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

import pytest
import strawberry

from app.auth.principal import Principal
from app.auth.roles import Perm, Role
from schema.core.permissions import requires
from schema.engine import completion, install

pytestmark = pytest.mark.upstream


@strawberry.enum
class Colour(Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Leaf:
    name: str
    count: int
    maybe: int | None
    ok: bool
    ratio: float
    amount: Decimal
    at: datetime
    day: date
    colour: Colour
    ident: strawberry.ID


@strawberry.type
class Item:
    leaf: Leaf
    _n: strawberry.Private[int]

    @strawberry.field
    def double(self) -> int:
        return 2 * self._n

    @strawberry.field
    def later(self, info: strawberry.Info) -> int:
        async def value() -> int:
            await asyncio.sleep(0)
            return self._n + info.context.bump
        return value()

    @strawberry.field(extensions=requires(Perm.STOCK_READ))
    def secret(self) -> int | None:
        return self._n


@strawberry.type
class Broken:
    required: int  # None given: a non-null violation
    big: int  # outside 32 bits
    text: str  # a list given: not a string


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(leaf=_leaf(i), _n=i) for i in range(3)]

    @strawberry.field
    def broken(self) -> list[Broken | None]:
        return [Broken(required=None, big=1, text="a"),  # type: ignore[arg-type]
                Broken(required=1, big=2**40, text="b"),
                Broken(required=1, big=1, text=["x"])]  # type: ignore[arg-type]


def _leaf(i: int) -> Leaf:
    return Leaf(name=f"名{i}", count=i, maybe=None if i % 2 else i, ok=bool(i % 2),
                ratio=i / 3, amount=Decimal("1.50") * i, at=datetime(2026, 1, i + 1, tzinfo=UTC),
                day=date(2026, 2, i + 1), colour=Colour.RED if i % 2 else Colour.BLUE,
                ident=strawberry.ID(f"I{i}"))


@dataclass
class Ctx:
    principal: Principal | None
    token_error: str | None = None
    bump: int = 100


QUERY = """{ items { double later secret leaf {
  name count maybe ok ratio amount at day colour ident } }
  broken { required big text } }"""


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    plain = strawberry.Schema(query=Query)
    fast = install(strawberry.Schema(query=Query))
    return plain, fast


def _errors(result) -> list[tuple[str, tuple]]:  # noqa: ANN001
    return sorted((e.message, tuple(e.path or ())) for e in result.errors or [])


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CUSTOMER])
async def test_same_answers_with_and_without_the_shortcuts(role: Role):
    plain, fast = _schemas()
    ctx = Ctx(Principal(user_id=1, role=role))
    want = await plain.execute(QUERY, context_value=ctx)
    got = await fast.execute(QUERY, context_value=ctx)
    assert got.data == want.data
    assert _errors(got) == _errors(want)
    assert want.errors  # the broken rows and, for a customer, the secret
    assert got.data["items"][1]["leaf"]["maybe"] is None
    assert [i["later"] for i in got.data["items"]] == [100, 101, 102]
    refused = [e for e in got.errors if e.path and e.path[-1] == "secret"]
    assert len(refused) == (3 if role is Role.CUSTOMER else 0)
    assert all(e.extensions["code"] == "FORBIDDEN" for e in refused)


async def test_unauthenticated_is_reported_like_strawberry_does():
    plain, fast = _schemas()
    ctx = Ctx(None, token_error="token expired")
    want = await plain.execute("{ items { secret } }", context_value=ctx)
    got = await fast.execute("{ items { secret } }", context_value=ctx)
    assert got.data == want.data and _errors(got) == _errors(want)
    assert {e.extensions["code"] for e in got.errors} == {"UNAUTHENTICATED"}


@strawberry.interface
class Numbered:
    n: int


@strawberry.type
class Part(Numbered):  # an interface: strawberry checks the type of what is returned

    @strawberry.field
    def twice(self) -> int:
        return 2 * self.n

    @strawberry.field
    async def slow(self) -> int:
        await asyncio.sleep(0)
        return self.n


@dataclass
class NotAPart:
    n: int


@strawberry.type
class Holder:
    """Object and list-of-object fields (schema/engine/completion.py), as attributes and as
    resolvers: values, nulls where none may be, errors, wrong types and awaitables."""

    part: Part
    maybe_part: Part | None
    parts: list[Part]
    parts_with_gaps: list[Part | None]
    _n: strawberry.Private[int]

    @strawberry.field
    def made(self) -> Part:
        return Part(n=self._n) if self._n != 1 else None  # type: ignore[return-value]

    @strawberry.field
    def made_list(self) -> list[Part]:
        return [Part(n=i) for i in range(self._n)] + ([None] if self._n == 0 else [])  # type: ignore[list-item]

    @strawberry.field
    def failing(self) -> Part | None:
        raise ValueError(f"no part {self._n}")

    @strawberry.field
    def failing_items(self) -> list[Part | None]:
        return [Part(n=0), ValueError("item refused"), Part(n=2)]  # type: ignore[list-item]

    @strawberry.field
    def wrong_type(self) -> Part | None:
        return NotAPart(n=self._n)  # type: ignore[return-value]

    @strawberry.field
    def generated(self) -> list[Part]:
        return (Part(n=i) for i in range(2))  # type: ignore[return-value]

    @strawberry.field
    async def later(self) -> Part:
        await asyncio.sleep(0)
        return Part(n=self._n)

    @strawberry.field
    def later_items(self) -> list[Part | None]:
        async def part(i: int) -> Part | None:
            await asyncio.sleep(0)
            return None if i == 1 else Part(n=i)
        return [part(i) for i in range(3)]

    @strawberry.field(extensions=requires(Perm.STOCK_READ))
    def guarded(self) -> Part | None:
        return Part(n=self._n)


@strawberry.type
class ObjectQuery:
    @strawberry.field
    def holders(self) -> list[Holder | None]:
        return [Holder(part=Part(n=i) if i != 2 else None,  # type: ignore[arg-type]
                       maybe_part=Part(n=i) if i % 2 else None,
                       parts=[Part(n=j) for j in range(i)],
                       parts_with_gaps=[Part(n=1), None], _n=i) for i in range(4)]


OBJECT_QUERY = """{ holders {
  part { n twice } maybe_part: maybePart { n } parts { n slow } partsWithGaps { n }
  made { n } alias: madeList { twice } failing { n } failingItems { n } wrongType { n }
  generated { n } later { n twice } laterItems { slow } guarded { n } } }"""


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CUSTOMER])
async def test_objects_and_lists_answer_as_graphql_core_does(role: Role):
    plain = strawberry.Schema(query=ObjectQuery)
    fast = install(strawberry.Schema(query=ObjectQuery))
    ctx = Ctx(Principal(user_id=1, role=role))
    want = await plain.execute(OBJECT_QUERY, context_value=ctx)
    got = await fast.execute(OBJECT_QUERY, context_value=ctx)
    assert got.data == want.data
    assert _errors(got) == _errors(want)
    messages = {message for message, _ in _errors(got)}
    assert "Cannot return null for non-nullable field Holder.part." in messages
    assert "Cannot return null for non-nullable field Holder.madeList." in messages
    assert "no part 3" in messages and "item refused" in messages
    assert any(m.startswith("Expected value of type 'Part'") for m in messages)
    assert got.data["holders"][2] is None  # a null `part` nulls its holder
    assert got.data["holders"][3]["laterItems"] == [{"slow": 0}, None, {"slow": 2}]
    assert got.data["holders"][3]["generated"] == [{"n": 0}, {"n": 1}]


@dataclass
class HeavyCtx(Ctx):
    admission: object = None  # a heavy operation's place at the gate (schema/core/cost.py)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CUSTOMER])
async def test_a_heavy_operation_answers_the_same_in_slices(role: Role, monkeypatch):
    """With a stretch of 0 s every list of a heavy operation goes on after a pause at each
    item: the same data, errors and paths as graphql-core without the shortcuts."""
    monkeypatch.setattr(completion, "SLICE_SECONDS", 0.0)
    plain = strawberry.Schema(query=ObjectQuery)
    fast = install(strawberry.Schema(query=ObjectQuery))
    principal = Principal(user_id=1, role=role)
    want = await plain.execute(OBJECT_QUERY, context_value=Ctx(principal))
    got = await fast.execute(OBJECT_QUERY, context_value=HeavyCtx(principal, admission=True))
    assert got.data == want.data
    assert _errors(got) == _errors(want)


SYNC_QUERY = "{ holders { maybePart { n } parts { n twice } partsWithGaps { n } } }"


async def _turns_while(schema: strawberry.Schema, ctx: Ctx) -> int:
    """How often another task ran while `schema` answered SYNC_QUERY (no awaitable in it)."""
    answer = asyncio.ensure_future(schema.execute(SYNC_QUERY, context_value=ctx))
    turns = 0
    while not answer.done():
        turns += 1
        await asyncio.sleep(0)
    assert not answer.result().errors
    return turns


async def test_a_heavy_operation_lets_other_tasks_run_between_slices(monkeypatch):
    """docs/architecture.md#time-budget: completing a heavy operation's lists pauses between
    stretches, so other requests are not held behind it; other operations do not pause."""
    monkeypatch.setattr(completion, "SLICE_SECONDS", 0.0)
    fast = install(strawberry.Schema(query=ObjectQuery))
    principal = Principal(user_id=1, role=Role.ADMIN)
    light = await _turns_while(fast, Ctx(principal))
    heavy = await _turns_while(fast, HeavyCtx(principal, admission=True))
    # 4 holders, their `parts` lists (0 + 1 + 2 + 3 items) and two-item `partsWithGaps`
    assert heavy >= light + 8, (light, heavy)


@strawberry.type
class Tick:
    n: int
    leaf: Leaf


@strawberry.type
class TickSubscription:
    @strawberry.subscription
    async def ticks(self, count: int) -> AsyncGenerator[Tick, None]:
        for n in range(count):
            yield Tick(n=n, leaf=_leaf(n % 20))


def _selection_sets() -> int:
    from graphql.execution.collect_fields import FieldDetails

    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is FieldDetails)


async def test_a_subscription_keeps_no_selection_set_of_past_events() -> None:
    """Each event's executor has plans of its own: a long subscription's memory stays flat
    (shared, they kept every event's selection sets: the soak's growth)."""
    schema = install(strawberry.Schema(query=Query, subscription=TickSubscription))
    stream = await schema.subscribe("subscription { ticks(count: 400) { n leaf { name count } } }")
    counts = []
    async for result in stream:
        assert result.errors is None
        if result.data["ticks"]["n"] in (50, 399):
            counts.append(_selection_sets())
    assert len(counts) == 2
    assert counts[1] - counts[0] < 20, counts  # 350 events later: not one set per event
