"""Compressed responses for slow mobile networks: br or gzip by the request's
Accept-Encoding, for GraphQL over HTTP and the report pages, from a minimum size
(CRM_COMPRESS_MIN_BYTES, 0: off) (docs/architecture.md#offline-writes-and-push).

gzip is starlette's own `GZipResponder`; br is the same responder with the `brotli`
package's compressor in its `apply_compression` hook (starlette 1.10,
starlette/middleware/gzip.py `IdentityResponder`: the hook it documents for an encoding).
Never compressed: WebSocket traffic (not HTTP), export downloads (files, already streamed:
not on the allowlist of paths), event streams and multipart incremental responses (their
chunks must reach the client as they come), bodies under the minimum, and anything the
app already encoded.
"""

from __future__ import annotations

import brotli
from starlette.datastructures import Headers
from starlette.middleware.gzip import (
    DEFAULT_EXCLUDED_CONTENT_TYPES,
    GZipResponder,
    IdentityResponder,
)
from starlette.types import ASGIApp, Receive, Scope, Send

PATHS = ("/graphql", "/reports/weekly")
EXCLUDED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "multipart/mixed")
GZIP_LEVEL = 6  # starlette's default 9 costs far more CPU for a few % on JSON
BROTLI_QUALITY = 5  # dynamic content: 4-6 is the usual balance of ratio and speed


class BrotliResponder(IdentityResponder):
    content_encoding = "br"

    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        super().__init__(app, minimum_size, exclude_content_types=EXCLUDED)
        self._compressor: brotli.Compressor | None = None

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if self._compressor is None:
            self._compressor = brotli.Compressor(mode=brotli.MODE_TEXT,
                                                 quality=BROTLI_QUALITY)
        out = self._compressor.process(body)
        return out + (self._compressor.flush() if more_body else self._compressor.finish())


def accepted(header: str) -> set[str]:
    """The codings an Accept-Encoding header allows (q > 0); `*` allows both of ours."""
    found: set[str] = set()
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        coding = coding.strip().lower()
        if coding and q > 0:
            found |= {"br", "gzip"} if coding == "*" else {coding}
    return found


class Compression:
    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.minimum_size <= 0 or scope["path"] not in PATHS:
            await self.app(scope, receive, send)
            return
        codings = accepted(Headers(scope=scope).get("accept-encoding", ""))
        if "br" in codings:
            await BrotliResponder(self.app, self.minimum_size)(scope, receive, send)
        elif "gzip" in codings:
            await GZipResponder(self.app, self.minimum_size, compresslevel=GZIP_LEVEL,
                                exclude_content_types=EXCLUDED)(scope, receive, send)
        else:
            await self.app(scope, receive, send)
