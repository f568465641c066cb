"""Persisted queries: Automatic Persisted Queries (APQ) plus the frontend contract's own
operations, pre-registered.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the query;
an unknown hash answers `PERSISTED_QUERY_NOT_FOUND`, the client retries once with the query
and the hash, and from then on sends the hash alone (mobile apps on flaky networks send a
few dozen bytes instead of kilobytes). The documents in frontend-contract/operations/ are
registered at start-up under the sha256 of each file, so shipped apps never miss.

With CRM_PERSISTED_ONLY (production's default) only the pinned documents run, sent by hash
or in full: a learned hash would let any client register any document
(docs/deployment.md#the-production-switches).

The registry is per process and bounded (LRU). That is safe behind a load balancer: a miss in
another process costs the client one retry with the full query, nothing else.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from app.config import PROJECT_ROOT

CONTRACT_OPERATIONS = PROJECT_ROOT / "frontend-contract" / "operations"
MAX_ENTRIES = 5_000
MAX_QUERY_BYTES = 100_000


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def _error(message: str, code: str) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": code})])


class PersistedQueries:
    """hash -> query text. Contract operations are pinned; learned ones are evicted LRU."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._pinned: dict[str, str] = {}
        self._learned: OrderedDict[str, str] = OrderedDict()

    def pin_directory(self, directory: Path = CONTRACT_OPERATIONS) -> int:
        if not directory.is_dir():
            return 0
        for path in sorted(directory.glob("*.graphql")):
            text = path.read_text(encoding="utf-8")
            self._pinned[sha256_hex(text)] = text
        return len(self._pinned)

    def get(self, digest: str) -> str | None:
        query = self._pinned.get(digest)
        if query is None:
            query = self._learned.get(digest)
            if query is not None:
                self._learned.move_to_end(digest)
        return query

    def learn(self, digest: str, query: str) -> None:
        if digest in self._pinned:
            return
        self._learned[digest] = query
        self._learned.move_to_end(digest)
        while len(self._learned) > self.max_entries:
            self._learned.popitem(last=False)

    def pinned(self, query: str) -> bool:
        return sha256_hex(query) in self._pinned

    def __len__(self) -> int:
        return len(self._pinned) + len(self._learned)

    def resolve(self, data: GraphQLRequestData, only_pinned: bool = False
                ) -> tuple[GraphQLRequestData | None, ExecutionResult | None, str | None]:
        """(request with its query, None, hash to learn) or (None, error result, None)."""
        ext = data.extensions.get("persistedQuery") if data.extensions else None
        if only_pinned:
            return self._pinned_only(data, ext)
        if ext is None:
            return data, None, None
        if not isinstance(ext, dict) or ext.get("version") != 1:
            return None, _error("unsupported persisted query version", "BAD_REQUEST"), None
        digest = ext.get("sha256Hash")
        if not isinstance(digest, str) or len(digest) != 64:
            return None, _error("sha256Hash must be 64 hex characters", "BAD_REQUEST"), None
        digest = digest.lower()
        if data.query is None:
            query = self.get(digest)
            if query is None:
                return None, _error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND"), None
            return replace(data, query=query), None, None
        if len(data.query) > MAX_QUERY_BYTES or sha256_hex(data.query) != digest:
            return None, _error("provided sha does not match query", "BAD_REQUEST"), None
        return data, None, digest


    def _pinned_only(self, data: GraphQLRequestData, ext: Any
                     ) -> tuple[GraphQLRequestData | None, ExecutionResult | None, None]:
        digest = ext.get("sha256Hash") if isinstance(ext, dict) else None
        query = data.query
        if query is None and isinstance(digest, str):
            query = self._pinned.get(digest.lower())
        if query is None or not self.pinned(query):
            return None, PERSISTED_ONLY_ERROR, None
        return replace(data, query=query), None, None


PERSISTED_ONLY_ERROR = _error("this server runs only the apps' persisted operations",
                              "PERSISTED_QUERY_REQUIRED")


class PersistedQueryView:
    """Mixed into the strawberry view, before it: resolves hashes ahead of execution."""

    persisted_queries: PersistedQueries

    async def execute_single(self, *, request_data: GraphQLRequestData,
                             **kwargs: Any) -> ExecutionResult:
        settings = getattr(getattr(self, "state", None), "settings", None)
        resolved, error, learn = self.persisted_queries.resolve(
            request_data, getattr(settings, "persisted_only", False))
        if error is not None:
            return error
        result = await super().execute_single(request_data=resolved, **kwargs)
        # Only documents that parsed and validated are remembered: errors before execution
        # carry no path, errors raised while executing do.
        if learn is not None and (result.data is not None
                                  or all(e.path for e in result.errors or [])):
            self.persisted_queries.learn(learn, resolved.query)
        return result
