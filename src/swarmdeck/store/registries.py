"""Registries the console browses: name, address, credentials encrypted at rest, a CA.

The password is encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under a key generated once
per data directory in ``registry.key`` (0600), apart from the database: a copy of the
database alone does not reveal the passwords. Records handed out never carry the password;
only ``credentials`` decrypts it, for the registry client.

``allowed_realms``: token services outside the registry's host reached over plain HTTP that
may receive its credentials all the same (see ``swarmdeck.registry.realms``); none by default.
"""

from __future__ import annotations

import builtins
import functools
import json
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Integer, LargeBinary, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from swarmdeck.registry.errors import RegistryError
from swarmdeck.registry.realms import normalize_realm
from swarmdeck.store.errors import Conflict, Invalid, NotFound, StoreError
from swarmdeck.store.keyfiles import owner_only_secret
from swarmdeck.store.models import Base, UTCDateTime, utcnow
from swarmdeck.store.ordering import by_name
from swarmdeck.store.repository import Store

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

KEY_FILE = "registry.key"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_ADDRESS = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}")
# Called with a registry's address, username, password, CA and realms before it is stored.
SaveCheck = Callable[[str, str | None, str | None, str | None, tuple[str, ...]], None]


class Registry(Base):
    __tablename__ = "registries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    address: Mapped[str] = mapped_column(String(300))
    username: Mapped[str | None] = mapped_column(String(255), nullable=True)
    password: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # Fernet token
    ca_pem: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    allowed_realms: Mapped[str | None] = mapped_column(Text, nullable=True)  # a JSON list of URLs


@dataclass(frozen=True)
class RegistryRecord:
    name: str
    address: str
    username: str | None
    has_password: bool
    ca_pem: str | None
    managed: bool = False  # the registry container `swarmdeck up` runs (not stored)
    allowed_realms: tuple[str, ...] = ()


MAX_REALMS = 20


def check_realms(realms: list[str]) -> tuple[str, ...]:
    """The realms, validated and normalized (``scheme://host[:port]/path``), without repeats."""
    if len(realms) > MAX_REALMS:
        raise Invalid(f"at most {MAX_REALMS} allowed realms per registry")
    normal: list[str] = []
    for realm in realms:
        try:
            url = normalize_realm(realm)
        except RegistryError as exc:
            raise Invalid(str(exc)) from None
        if url not in normal:
            normal.append(url)
    return tuple(normal)


def load_key(data_dir: Path) -> bytes:
    """The Fernet key, generated on first use, readable by the owner only."""

    def make() -> bytes:
        from cryptography.fernet import Fernet  # loaded only when registries are used

        return Fernet.generate_key()

    return owner_only_secret(data_dir / KEY_FILE, make)


def check_ca(pem: str) -> str:
    from cryptography import x509

    try:
        if not x509.load_pem_x509_certificates(pem.encode()):
            raise ValueError("no certificate")
    except ValueError as exc:
        raise Invalid("the CA is not a PEM certificate (-----BEGIN CERTIFICATE-----)") from exc
    return pem


class RegistryStore:
    """Registries in the console's database (the same one as ``store``)."""

    def __init__(self, store: Store, data_dir: Path) -> None:
        # Its table is made by the store's migrations (store/migrations), like every other.
        self._sessions = sessionmaker(store.engine, expire_on_commit=False)
        self._data_dir = data_dir

    @functools.cached_property
    def _fernet(self) -> Fernet:
        """Made on first use: only passwords need it, and importing ``cryptography`` costs a
        new console process hundreds of milliseconds that a first catalog view should not wait."""
        from cryptography.fernet import Fernet

        return Fernet(load_key(self._data_dir))

    def _tx(self) -> AbstractContextManager[Session]:
        return self._sessions.begin()

    def add(
        self,
        name: str,
        address: str,
        username: str | None,
        password: str | None,
        ca_pem: str | None,
        allowed_realms: list[str] | None = None,
        check: SaveCheck | None = None,
    ) -> RegistryRecord:
        """Add a registry. ``check`` gets its values (address, username, password, CA, realms),
        valid, before anything is written: it refuses by raising (the console's check on save)."""
        if not _NAME.fullmatch(name):
            raise Invalid(f"{name!r} is not a valid registry name (lowercase letters, digits, . _ -)")
        if not _ADDRESS.fullmatch(address):
            raise Invalid(f"{address!r} is not HOST:PORT (the address as image references write it)")
        if bool(username) != bool(password):
            raise Invalid("give both a username and a password, or neither")
        if ca_pem:
            check_ca(ca_pem)
        realms = check_realms(allowed_realms or [])
        if check is not None:
            check(address, username or None, password or None, ca_pem or None, realms)
        row = Registry(
            name=name,
            address=address,
            username=username or None,
            password=self._fernet.encrypt(password.encode()) if password else None,
            ca_pem=ca_pem or None,
            allowed_realms=json.dumps(realms) if realms else None,
        )
        try:
            with self._tx() as s:
                if s.scalar(select(Registry).where(Registry.name == name)) is not None:
                    raise Conflict(f"a registry named {name!r} already exists")
                s.add(row)
        except IntegrityError as exc:
            raise Conflict(f"a registry named {name!r} already exists") from exc
        return _record(row)

    def list(self) -> list[RegistryRecord]:
        with self._tx() as s:
            return [_record(r) for r in s.scalars(select(Registry).order_by(by_name(Registry.name)))]

    def get(self, name: str) -> RegistryRecord:
        with self._tx() as s:
            return _record(self._row(s, name))

    def set_allowed_realms(self, name: str, realms: builtins.list[str]) -> RegistryRecord:
        """Replace the realms that may receive the registry's credentials ([]: none)."""
        normal = check_realms(realms)
        with self._tx() as s:
            row = self._row(s, name)
            row.allowed_realms = json.dumps(normal) if normal else None
            return _record(row)

    def credentials(self, name: str) -> tuple[str | None, str | None]:
        with self._tx() as s:
            row = self._row(s, name)
            if row.password is None:
                return row.username, None
            from cryptography.fernet import InvalidToken

            try:
                return row.username, self._fernet.decrypt(row.password).decode()
            except InvalidToken as exc:
                raise StoreError(
                    f"the password of registry {name!r} cannot be decrypted: "
                    f"was {KEY_FILE} replaced? Remove the registry and add it again"
                ) from exc

    def remove(self, name: str) -> None:
        with self._tx() as s:
            s.delete(self._row(s, name))

    @staticmethod
    def _row(s: Session, name: str) -> Registry:
        row = s.scalar(select(Registry).where(Registry.name == name))
        if row is None:
            raise NotFound(f"no registry named {name!r}")
        return row


def _record(row: Registry) -> RegistryRecord:
    realms = tuple(json.loads(row.allowed_realms)) if row.allowed_realms else ()
    return RegistryRecord(
        row.name, row.address, row.username, row.password is not None, row.ca_pem, allowed_realms=realms
    )
