"""CSV exports on PostgreSQL through `COPY (SELECT ...) TO STDOUT`: the chunk's rows are
shaped into the API's text by SQL expressions (global IDs, money, ISO times) and written as
CSV by PostgreSQL, so no row passes through Python. Only for fields whose value is the same
for every row of the job (no masking, no per-row owner rule): the others take the Python
path (`sources.read_chunk` and `fields.chunk_shaper`). The bytes equal that path's output,
which `tests/exports/test_copy_path.py` checks (docs/architecture.md#exports)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, func, literal
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.exports.fields import SOURCES, Field, Rule
from app.exports.models import ExportSource
from app.exports.repository.sources import SourceFilter, narrowed, source_statement


def usable(principal: Principal, fields: list[Field]) -> bool:
    """Whether every field is shown to `principal` as stored (before its encoding): then
    the chunk can be shaped in SQL. Masked contact data and credit that depends on the
    row's owner stay in Python (their rules live in app/auth/principal.py, once)."""
    for field in fields:
        if field.rule in (Rule.PLAIN, Rule.RATES):
            continue
        if field.rule is Rule.SHIP_TO and principal.sees_ship_to():
            continue
        if field.rule in (Rule.CONTACT, Rule.SHIP_TO) and principal.contact_access() == "full":
            continue
        if field.rule is Rule.CREDIT and principal.can_see_credit(None):  # whoever the owner
            continue
        return False
    return True


def _text(value: Any) -> Any:
    # an empty string as an empty cell, as Python's csv writes it (COPY would quote it)
    return func.nullif(value, "")


def _expression(field: Field) -> Any:
    """The field's value as the API writes it (app/exports/fields.py `converter`)."""
    column, kind = field.column, field.kind
    if kind == "int":
        return column
    if kind in ("money", "decimal"):  # every decimal declared has two places, as money
        return cast(func.round(column, 2), String)
    if kind == "datetime":  # naive UTC; isoformat() leaves out zero microseconds
        text = func.replace(func.to_char(column, 'YYYY-MM-DD"T"HH24:MI:SS.US'), ".000000", "")
        return text.op("||")(literal("+00:00"))  # || keeps a null null (concat() would not)
    if kind == "date":
        return func.to_char(column, "YYYY-MM-DD")
    if kind.startswith("gid:"):  # app/ids.py: "Type:pk", URL-safe base64 without padding
        raw = func.convert_to(literal(f"{kind[4:]}:") + cast(column, String), "UTF8")
        return func.rtrim(func.translate(func.encode(raw, "base64"), "+/", "-_"), "=")
    return _text(column)


def bounds(session: Session, principal: Principal, source: ExportSource, flt: SourceFilter,
           after_id: int, limit: int, count: int) -> list[int]:
    """The last ids of up to `count` consecutive chunks of `limit` rows after `after_id`
    (the last one may be shorter; empty when no row is left). A chunk is then copied as an
    id range, so a row committed meanwhile lands in the range its id falls in: never
    skipped, never written twice."""
    model = SOURCES[source].model
    ids = narrowed(source_statement(session, principal, source, flt), model, [model.id])
    out: list[int] = []
    while len(out) < count:
        last = out[-1] if out else after_id
        upper = session.execute(ids.where(model.id > last).order_by(model.id)
                                .offset(limit - 1).limit(1)).scalar()
        if upper is None:  # the rest is less than a chunk
            rest = narrowed(source_statement(session, principal, source, flt), model,
                             [func.max(model.id)]).where(model.id > last)
            upper = session.execute(rest).scalar()
            if upper is not None:
                out.append(upper)
            break
        out.append(upper)
    return out


def copy_range(session: Session, principal: Principal, source: ExportSource,
               flt: SourceFilter, fields: list[Field], after_id: int, upper: int
               ) -> tuple[bytearray, int]:
    """The rows with `after_id < id <= upper`, by id, as CSV lines without a header: (the
    bytes, the rows)."""
    model = SOURCES[source].model
    stmt = narrowed(source_statement(session, principal, source, flt), model,
                     [_expression(f).label(f.header) for f in fields])
    stmt = stmt.where(model.id > after_id, model.id <= upper).order_by(model.id)
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect,
                            compile_kwargs={"render_postcompile": True})
    cursor = connection.connection.driver_connection.cursor()
    out = bytearray()  # the driver hands over a row at a time: one buffer, no row objects
    with cursor.copy(f"COPY ({compiled.string}) TO STDOUT WITH (FORMAT csv)",
                     compiled.params) as copy:
        for data in copy:
            out += data
    return out, cursor.rowcount
