"""Persisted queries: Automatic Persisted Queries (APQ) plus the frontend contract's own
operations, pre-registered.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the query;
an unknown hash answers `PERSISTED_QUERY_NOT_FOUND`, the client retries once with the query
and the hash, and from then on sends the hash alone (mobile apps on flaky networks send a
few dozen bytes instead of kilobytes). The documents in frontend-contract/operations/ are
registered at start-up under the sha256 of each file, and so is every operation of the
generated client's manifest (frontend-contract/generated/persisted-documents.json, hash ->
document), so shipped apps never miss.

With CRM_PERSISTED_ONLY=1 those registered documents are the only ones that run: anything
else, by hash or by text, is refused with PERSISTED_QUERY_REQUIRED and HTTP 400, nothing
parsed or executed (docs/conventions.md#the-frontend-contract).

The registry is per process and bounded (LRU). That is safe behind a load balancer: a miss in
another process costs the client one retry with the full query, nothing else.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from app.config import PROJECT_ROOT

CONTRACT_OPERATIONS = PROJECT_ROOT / "frontend-contract" / "operations"
CONTRACT_MANIFEST = PROJECT_ROOT / "frontend-contract" / "generated" / "persisted-documents.json"
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
        for path in sorted(directory.rglob("*.graphql")):  # analytics/ and the like too
            text = path.read_text(encoding="utf-8")
            self._pinned[sha256_hex(text)] = text
        return len(self._pinned)

    def pin_manifest(self, path: Path = CONTRACT_MANIFEST) -> int:
        """Pin a manifest's documents; an entry whose hash is not its document's is refused
        (a hand-edited manifest would otherwise pin what the hash does not name)."""
        if not path.is_file():
            return 0
        manifest = json.loads(path.read_text(encoding="utf-8"))
        for digest, text in manifest.items():
            if sha256_hex(text) != digest:
                raise ValueError(f"{path.name}: {digest} is not the sha256 of its document")
            self._pinned[digest] = text
        return len(manifest)

    def is_pinned(self, query: str | None) -> bool:
        return query is not None and sha256_hex(query) in self._pinned

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

    def __len__(self) -> int:
        return len(self._pinned) + len(self._learned)

    def resolve(self, data: GraphQLRequestData) -> tuple[GraphQLRequestData | None,
                                                         ExecutionResult | None, str | None]:
        """(request with its query, None, hash to learn) or (None, error result, None)."""
        ext = data.extensions.get("persistedQuery") if data.extensions else None
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


def _required(sub_response: Any) -> ExecutionResult:
    sub_response.status_code = 400
    return _error("this server runs only the app's persisted operations: send a registered "
                  "extensions.persistedQuery.sha256Hash", "PERSISTED_QUERY_REQUIRED")


class PersistedQueryView:
    """Mixed into the strawberry view, before it: resolves hashes ahead of execution."""

    persisted_queries: PersistedQueries
    persisted_only: bool = False

    async def execute_operation(self, request: Any, request_adapter: Any, request_data: Any,
                                context: Any, root_value: Any, sub_response: Any) -> Any:
        """Streamed operations (not through execute_single) are persisted ones or refused."""
        if self.persisted_only and isinstance(request_data, GraphQLRequestData) \
                and request_data.protocol != "http":
            resolved, _, _ = self.persisted_queries.resolve(request_data)
            if resolved is None or not self.persisted_queries.is_pinned(resolved.query):
                return _required(sub_response)
        return await super().execute_operation(  # type: ignore[misc]
            request, request_adapter, request_data, context, root_value, sub_response)

    async def execute_single(self, *, request_data: GraphQLRequestData,
                             **kwargs: Any) -> ExecutionResult:
        resolved, error, learn = self.persisted_queries.resolve(request_data)
        if self.persisted_only and (resolved is None
                                    or not self.persisted_queries.is_pinned(resolved.query)):
            return _required(kwargs["sub_response"])
        if error is not None:
            return error
        result = await super().execute_single(request_data=resolved, **kwargs)
        # Only documents that parsed and validated are remembered: errors before execution
        # carry no path, errors raised while executing do.
        if learn is not None and (result.data is not None
                                  or all(e.path for e in result.errors or [])):
            self.persisted_queries.learn(learn, resolved.query)
        return result
