"""All of the exports domain's SQL: `jobs` (the export_job table), `sources` (the rows of
each source, read with the list's own scope and filter, in keyset chunks) and `copy` (CSV
chunks written by PostgreSQL's COPY). Callers use `from app.exports import repository as
repo`."""

from app.exports.repository import copy, jobs, sources

__all__ = ["copy", "jobs", "sources"]
