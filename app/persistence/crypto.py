"""Personal data at rest: AES-GCM column values and keyed hashes for exact lookup
(docs/architecture.md#personal-data-at-rest).

A `Keyring` is parsed from CRM_DATA_KEY (`id:base64key,id:base64key,...`, the first the
current key, the others older ones still read). It is installed on an engine's dialect by
`Database` (app/persistence/db.py), so the column types below encrypt and decrypt for the
database they run on and a process may hold databases with and without a key (tests do).
Without a keyring the types have no processors at all: the values go through as plain
strings, at no cost.

- `EncryptedString`: a VARCHAR wide enough for the ciphertext of `max_length` characters.
  A non-empty value is written `enc1:<key id>:<base64url(nonce | ciphertext | tag)>` under
  the current key (a random 96-bit nonce each time); a value read is decrypted under the
  key its id names, and a plaintext value (written before the key was set) is read as it is.
- `lookup_field(source, kind)`: the keyed hash (HMAC-SHA256 under a key derived from the
  data key) of another column's normalized value, filled on INSERT (a column default: ORM
  and Core inserts alike) and on an ORM UPDATE of its source (a mapper event); NULL without
  a keyring. `matches(column, kind, text, keyring)` looks a value up under every key of the
  ring, so rows not yet rotated are found too.
- `SealedJSON` / `Sealed`: audit snapshots (app/persistence/uow.py) mark the values of
  encrypted columns `Sealed`; the JSON column encrypts those and decrypts any ciphertext it
  reads.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import JSON, String, TypeDecorator, event, inspect
from sqlalchemy.orm import Mapper
from sqlmodel import Field

PREFIX = "enc1:"
DATA_KEY_VARIABLE = "CRM_DATA_KEY"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_NONCE = 12


class DataKeyError(ValueError):
    """CRM_DATA_KEY does not describe a keyring."""


@dataclass(frozen=True)
class _Key:
    id: str
    aead: AESGCM
    mac: bytes  # the keyed hash's key, derived: never the encryption key itself


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"crm-data-key/" + purpose).derive(secret)


class Keyring:
    """The current key (encrypts, hashes) and older ones (decrypt, found by lookups)."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise DataKeyError("CRM_DATA_KEY names no key")
        ids = [k for k, _ in keys]
        if len(set(ids)) != len(ids):
            raise DataKeyError("CRM_DATA_KEY names a key id twice")
        self.keys = {kid: _Key(kid, AESGCM(_derive(raw, b"aes-gcm")), _derive(raw, b"lookup"))
                     for kid, raw in keys}
        self.current = self.keys[ids[0]]
        self.spec = ",".join(f"{kid}:{base64.b64encode(raw).decode()}" for kid, raw in keys)

    @classmethod
    def parse(cls, spec: str | None) -> Keyring | None:
        """`id:key[,id:key...]`, each key 32 bytes in base64; None for an empty spec."""
        if not spec or not spec.strip():
            return None
        keys = []
        for entry in spec.split(","):
            kid, sep, encoded = entry.strip().partition(":")
            if not sep or not _KEY_ID.match(kid):
                raise DataKeyError("CRM_DATA_KEY: each entry is id:base64key, the id 1-16 of "
                                "A-Z a-z 0-9 _ -")
            try:
                raw = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError) as error:
                raise DataKeyError(f"CRM_DATA_KEY: key {kid!r} is not base64") from error
            if len(raw) != 32:
                raise DataKeyError(f"CRM_DATA_KEY: key {kid!r} must be 32 bytes, not {len(raw)}")
            keys.append((kid, raw))
        return cls(keys)

    # values -----------------------------------------------------------------------

    def encrypt(self, value: str) -> str:
        key = self.current
        nonce = os.urandom(_NONCE)
        sealed = key.aead.encrypt(nonce, value.encode(), key.id.encode())
        return f"{PREFIX}{key.id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str) -> str:
        """The plaintext of a stored value; a value that is no ciphertext is returned as is."""
        if not stored.startswith(PREFIX):
            return stored
        kid, _, body = stored[len(PREFIX):].partition(":")
        key = self.keys.get(kid)
        if key is None:
            raise DataKeyError(f"a value is encrypted under key {kid!r}, which CRM_DATA_KEY "
                            "does not hold")
        raw = base64.urlsafe_b64decode(body)
        return key.aead.decrypt(raw[:_NONCE], raw[_NONCE:], kid.encode()).decode()

    def is_current(self, stored: str | None) -> bool:
        """Whether a stored value needs no re-encryption: empty, or under the current key."""
        return not stored or stored.startswith(f"{PREFIX}{self.current.id}:")

    # lookups ----------------------------------------------------------------------

    def lookup(self, kind: str, value: str | None, key: _Key | None = None) -> str | None:
        """The keyed hash of a value's normal form (hex), under the current key or `key`."""
        normal = normalize(kind, value)
        if not normal:
            return None
        mac = (key or self.current).mac
        return hmac.new(mac, normal.encode(), hashlib.sha256).hexdigest()

    def lookups(self, kind: str, value: str | None) -> list[str]:
        """The value's keyed hash under every key of the ring (rows not rotated yet)."""
        found = [self.lookup(kind, value, key) for key in self.keys.values()]
        return [h for h in found if h is not None]


@functools.lru_cache(maxsize=8)
def keyring_from(spec: str | None) -> Keyring | None:
    """`Keyring.parse`, once per spec: every Database of a process shares its keyring."""
    return Keyring.parse(spec)


def normalize(kind: str, value: str | None) -> str:
    """What exact-match means: e-mails ignore case; phones ignore spaces, dashes, dots and
    parentheses (the rest, a leading + included, must match); push tokens match exactly."""
    if not value:
        return ""
    if kind == "token":
        return value.strip()
    if kind == "email":
        return value.strip().lower()
    return re.sub(r"[\s\-.()]", "", value)


def keyring_of(dialect: Any) -> Keyring | None:
    return getattr(dialect, "crm_keyring", None)


def session_keyring(session: Any) -> Keyring | None:
    """The keyring of the database a session reads (repositories choose their lookups)."""
    return keyring_of(session.get_bind().dialect)


def install(engine: Any, keyring: Keyring | None) -> None:
    """Give an engine its keyring, before its first statement: the column types read it
    when they build their processors (once per dialect)."""
    engine.dialect.crm_keyring = keyring


def ciphertext_length(chars: int) -> int:
    """Room for `chars` characters (up to 4 UTF-8 bytes each) encrypted: prefix, key id,
    base64 of nonce + bytes + 16-byte tag."""
    return len(PREFIX) + 17 + 4 * -(-(_NONCE + 4 * chars + 16) // 3)


# Column types -----------------------------------------------------------------------

class EncryptedString(TypeDecorator):
    """A string encrypted under the engine's keyring, if it has one."""

    impl = String
    cache_ok = True

    def bind_processor(self, dialect: Any) -> Any:
        keyring = keyring_of(dialect)
        if keyring is None:
            return None
        encrypt = keyring.encrypt

        def process(value: Any) -> Any:
            # "" stays "": an empty line or phone says nothing, and saves the space
            if not value or value.startswith(PREFIX):
                return value
            return encrypt(value)

        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        keyring = keyring_of(dialect)
        if keyring is None:
            return None
        decrypt = keyring.decrypt

        def process(value: Any) -> Any:
            return decrypt(value) if value and value.startswith(PREFIX) else value

        return process


def encrypted_field(max_length: int, *, nullable: bool = False, default: Any = ...,
                    **kw: Any) -> Any:
    """A column of up to `max_length` characters stored encrypted when a key is set (its
    VARCHAR sized for the ciphertext). Equality and LIKE on it mean nothing with a key:
    look values up through a `lookup_field`."""
    kw["sa_type"] = EncryptedString(ciphertext_length(max_length))
    if nullable:
        return Field(default=None, nullable=True, **kw)
    if default is ...:
        return Field(nullable=False, **kw)
    return Field(default=default, nullable=False, **kw)


def _lookup_default(source: str, kind: str) -> Any:
    def fill(context: Any) -> str | None:
        keyring = keyring_of(context.dialect)
        if keyring is None:
            return None
        return keyring.lookup(kind, context.get_current_parameters().get(source))
    return fill


def lookup_field(source: str, kind: str, *, unique: bool = False) -> Any:
    """The keyed hash of column `source` (`kind` "email" or "phone"), for exact lookups."""
    return Field(default=None, max_length=64, nullable=True, index=not unique, unique=unique,
                 sa_column_kwargs={"default": _lookup_default(source, kind),
                                   "info": {"lookup_of": (source, kind)}})


@functools.cache
def lookup_columns(model: type) -> tuple[tuple[str, str, str], ...]:
    """(hash column, source column, kind) of each lookup column of a table model."""
    table = getattr(model, "__table__", None)
    if table is None:
        return ()
    return tuple((c.key, *c.info["lookup_of"]) for c in table.c if "lookup_of" in c.info)


@functools.cache
def encrypted_columns(model: type) -> frozenset[str]:
    table = getattr(model, "__table__", None)
    if table is None:
        return frozenset()
    return frozenset(c.key for c in table.c if isinstance(c.type, EncryptedString))


@event.listens_for(Mapper, "before_update")
def _refresh_lookups(_mapper: Any, connection: Any, target: Any) -> None:
    """An ORM UPDATE that changes a looked-up column changes its hash in the same row."""
    columns = lookup_columns(type(target))
    if not columns:
        return
    keyring = keyring_of(connection.dialect)
    if keyring is None:
        return
    attrs = inspect(target).attrs
    for hashed, source, kind in columns:
        if attrs[source].history.has_changes():
            setattr(target, hashed, keyring.lookup(kind, getattr(target, source)))


def matches(column: Any, kind: str, text: str, keyring: Keyring) -> Any:
    """`column` (a lookup column) holds the keyed hash of `text` under any key of the ring."""
    found = keyring.lookups(kind, text)
    return column.in_(found) if found else None


class Sealed(str):
    """A snapshot value of an encrypted column (app/persistence/uow.py `snapshot`)."""

    __slots__ = ()


class SealedJSON(TypeDecorator):
    """JSON whose top-level `Sealed` values are encrypted under the engine's keyring, and
    whose ciphertext values are decrypted on reading."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Any) -> Any:
        keyring = keyring_of(dialect)
        inner = self.impl_instance.bind_processor(dialect)
        if keyring is None:
            return inner
        encrypt = keyring.encrypt

        def process(value: Any) -> Any:
            if isinstance(value, dict):
                value = {k: encrypt(v) if type(v) is Sealed and v else v
                         for k, v in value.items()}
            return inner(value) if inner is not None else value

        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        keyring = keyring_of(dialect)
        inner = self.impl_instance.result_processor(dialect, coltype)
        if keyring is None:
            return inner

        def process(value: Any) -> Any:
            value = inner(value) if inner is not None else value
            if isinstance(value, dict):
                value = {k: keyring.decrypt(v) if isinstance(v, str) else v
                         for k, v in value.items()}
            return value

        return process


def sealed_json_field() -> Any:
    return Field(default=None, sa_type=SealedJSON(none_as_null=True), nullable=True)
