"""Settings from environment variables, read once per process."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CRM_VAR_DIR", PROJECT_ROOT / "var"))


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def _dev_secret() -> str:
    # Development keeps one generated secret so tokens survive restarts.
    path = VAR_DIR / "jwt-secret"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = ""
    jwt_secret: str = ""
    jwt_issuer: str = "crm"
    jwt_audience: str = "crm-api"
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    allowed_origins: tuple[str, ...] = ()
    discount_approval_threshold: str = "0.10"
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    mode = env.get("CRM_ENV", "development")
    if mode not in ("development", "production"):
        raise ConfigError(f"CRM_ENV must be 'development' or 'production', got {mode!r}")
    secret = env.get("CRM_JWT_SECRET", "")
    if secret and len(secret.encode()) < 32:
        raise ConfigError("CRM_JWT_SECRET must be at least 32 bytes")
    if not secret:
        if mode == "production":
            raise ConfigError("CRM_JWT_SECRET is required in production (at least 32 bytes)")
        secret = _dev_secret()
    default_db = f"sqlite:///{VAR_DIR / 'crm.db'}"
    origins = tuple(o.strip() for o in env.get("CRM_ALLOWED_ORIGINS", "").split(",") if o.strip())
    return Settings(
        env=mode,
        database_url=env.get("CRM_DATABASE_URL") or default_db,
        jwt_secret=secret,
        jwt_issuer=env.get("CRM_JWT_ISSUER", "crm"),
        jwt_audience=env.get("CRM_JWT_AUDIENCE", "crm-api"),
        access_token_minutes=int(env.get("CRM_ACCESS_TOKEN_MINUTES", "15")),
        redis_url=env.get("CRM_REDIS_URL") or None,
        host=env.get("CRM_HOST", "127.0.0.1"),
        port=int(env.get("CRM_PORT", "8000")),
        allowed_origins=origins,
        discount_approval_threshold=env.get("CRM_DISCOUNT_APPROVAL_THRESHOLD", "0.10"),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
