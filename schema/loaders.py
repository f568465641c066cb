"""Per-request dataloaders: every relation resolves in one batched query per level.

Domains register fetch functions `fn(session, keys) -> {key: value}` under a
name; each request gets fresh DataLoaders, so nothing is cached across users.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from aiodataloader import DataLoader
from sqlmodel import Session

from app.auth.principal import Principal
from app.uow import Runner

Fetch = Callable[[Session, Sequence[Any]], dict[Hashable, Any]]
_REGISTRY: dict[str, tuple[Fetch, Any]] = {}


def register_loader(name: str, fetch: Fetch, *, default: Any = None) -> None:
    """`default` is returned for keys the fetch leaves out (None, or [] for to-many)."""
    _REGISTRY[name] = (fetch, default)


class Loaders:
    def __init__(self, runner: Runner, principal: Principal | None) -> None:
        self._runner = runner
        self._principal = principal
        self._loaders: dict[str, DataLoader] = {}

    def get(self, name: str) -> DataLoader:
        loader = self._loaders.get(name)
        if loader is None:
            fetch, default = _REGISTRY[name]
            loader = DataLoader(self._batch(fetch, default), max_batch_size=5000)
            self._loaders[name] = loader
        return loader

    def load(self, name: str, key: Hashable) -> Any:
        return self.get(name).load(key)

    def prime(self, name: str, key: Hashable, value: Any) -> None:
        self.get(name).prime(key, value)

    def _batch(self, fetch: Fetch, default: Any):  # noqa: ANN202
        runner = self._runner
        is_list = isinstance(default, list)

        async def batch(keys: list[Hashable]) -> list[Any]:
            found = await runner.read(fetch, list(keys))
            if is_list:
                return [found.get(k, []) for k in keys]
            return [found.get(k, default) for k in keys]

        return batch
