"""All of the exports domain's SQL: `jobs` (the export_job table) and `sources` (the rows
of each source, read with the list's own scope and filter, in keyset chunks). Callers use
`from app.exports import repository as repo`."""

from app.exports.repository import jobs, sources

__all__ = ["jobs", "sources"]
