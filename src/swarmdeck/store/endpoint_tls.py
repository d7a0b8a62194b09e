"""An endpoint's TLS material kept in the database itself (a machine's engine, registered by
``swarmdeck machine create``): the CA and the client certificate as PEM in the clear, the
client key encrypted at rest.

The key is encrypted with Fernet under ``endpoint.key`` (0600, made once per data
directory), as registry passwords are under ``registry.key``: a copy of the database alone
does not reveal it. The Docker SDK reads TLS from files only, so ``materialize`` writes the
three PEMs, the key decrypted, to ``endpoint-tls/NAME/`` in the owner-only data directory,
the place the decryption key itself lives.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from swarmdeck.store.errors import Invalid, StoreError
from swarmdeck.store.keyfiles import owner_only_secret
from swarmdeck.store.models import Endpoint, EndpointKind

KEY_FILE = "endpoint.key"
FILES_DIR = "endpoint-tls"
MAX_PEM = 64 * 1024


@dataclass(frozen=True)
class TLSMaterial:
    """A CA to verify the engine by, and the client certificate and key it accepts (PEM)."""

    ca_pem: str
    cert_pem: str
    key_pem: str


def check_material(material: TLSMaterial, kind: EndpointKind, has_paths: bool) -> TLSMaterial:
    """``material`` if each part is the PEM it should be, for a tcp:// endpoint without TLS
    file paths; else one ``Invalid``."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    if kind is not EndpointKind.TCP or has_paths:
        raise Invalid("TLS material is for tcp:// endpoints without TLS file paths")

    for label, pem in (
        ("CA", material.ca_pem),
        ("certificate", material.cert_pem),
        ("key", material.key_pem),
    ):
        if len(pem) > MAX_PEM:
            raise Invalid(f"the TLS {label} is over {MAX_PEM} characters")
    try:
        x509.load_pem_x509_certificates(material.ca_pem.encode())
    except ValueError:
        raise Invalid("the TLS CA is not a PEM certificate") from None
    try:
        x509.load_pem_x509_certificate(material.cert_pem.encode())
    except ValueError:
        raise Invalid("the TLS client certificate is not a PEM certificate") from None
    try:
        load_pem_private_key(material.key_pem.encode(), None)
    except (ValueError, TypeError):
        raise Invalid("the TLS client key is not an unencrypted PEM private key") from None
    return material


class KeySealer:
    """Encrypts and decrypts endpoint keys under the data directory's ``endpoint.key``."""

    def __init__(self, data_dir: Path) -> None:
        from cryptography.fernet import Fernet

        def make() -> bytes:
            return Fernet.generate_key()

        self._fernet = Fernet(owner_only_secret(Path(data_dir) / KEY_FILE, make))

    def seal(self, key_pem: str) -> bytes:
        return self._fernet.encrypt(key_pem.encode())

    def open(self, sealed: bytes, name: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken as exc:
            raise StoreError(
                f"the TLS key of endpoint {name!r} cannot be decrypted: was {KEY_FILE} replaced? "
                "Remove the endpoint and add it again"
            ) from exc


def keep_material(row: Endpoint, material: TLSMaterial, data_dir: Path) -> None:
    """Put ``material`` in the endpoint's row, the key encrypted."""
    row.tls_ca_pem, row.tls_cert_pem = material.ca_pem, material.cert_pem
    row.tls_key_sealed = KeySealer(data_dir).seal(material.key_pem)


def kept_material(row: Endpoint, data_dir: Path) -> TLSMaterial:
    """The material in the endpoint's row, the key decrypted."""
    if row.tls_ca_pem is None or row.tls_cert_pem is None or row.tls_key_sealed is None:
        raise StoreError(f"endpoint {row.name!r} lost its TLS material: add it again")
    return TLSMaterial(
        row.tls_ca_pem, row.tls_cert_pem, KeySealer(data_dir).open(row.tls_key_sealed, row.name)
    )


def materialize(data_dir: Path, name: str, material: TLSMaterial) -> tuple[str, str, str]:
    """The material as files (CA, certificate, key) for the SDK; rewritten only when changed."""
    folder = Path(data_dir) / FILES_DIR / name
    paths = []
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for filename, text in (
            ("ca.pem", material.ca_pem),
            ("cert.pem", material.cert_pem),
            ("key.pem", material.key_pem),
        ):
            path = folder / filename
            data = text.encode()
            if not path.is_file() or path.read_bytes() != data:
                tmp = path.with_name(filename + ".tmp")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                tmp.replace(path)
            paths.append(str(path))
    except OSError as exc:
        raise StoreError(f"cannot write endpoint {name!r}'s TLS files in {folder}: {exc.strerror}") from exc
    return paths[0], paths[1], paths[2]


def forget(data_dir: Path, name: str) -> None:
    """Remove the endpoint's materialized files."""
    shutil.rmtree(Path(data_dir) / FILES_DIR / name, ignore_errors=True)
