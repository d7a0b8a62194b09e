"""The machines' TLS: one CA and one client certificate for this host (kept in the machines
directory's ``certs/``), and one server certificate per machine signed by that CA.

Every engine swarmdeck provisions trusts only this CA's clients (``--tlsverify``), and this
host trusts only engines whose certificate this CA signed for their addresses. Keys are
ECDSA P-256, written 0600.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from swarmdeck.machine.errors import MachineError

VALIDITY = timedelta(days=3 * 365)
CA_FILE, CA_KEY_FILE, CERT_FILE, KEY_FILE = "ca.pem", "ca-key.pem", "cert.pem", "key.pem"
SERVER_CERT_FILE, SERVER_KEY_FILE = "server.pem", "server-key.pem"


@dataclass(frozen=True)
class ClientTLS:
    """The files a client needs: the CA to verify engines by, its certificate and key."""

    ca: Path
    cert: Path
    key: Path


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    tmp.replace(path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "swarmdeck"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))  # a machine's clock a little behind
        .not_valid_after(now + VALIDITY)
    )


def ensure_ca(certs_dir: Path) -> ClientTLS:
    """The CA and the client certificate in ``certs_dir``, made on first use."""
    files = ClientTLS(certs_dir / CA_FILE, certs_dir / CERT_FILE, certs_dir / KEY_FILE)
    if all(p.is_file() for p in (files.ca, files.cert, files.key, certs_dir / CA_KEY_FILE)):
        return files
    try:
        certs_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("swarmdeck machines CA")
        ca = (
            _builder(ca_name, ca_name, ca_key)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        client_key = ec.generate_private_key(ec.SECP256R1())
        client = (
            _builder(_name("swarmdeck client"), ca_name, client_key)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write(certs_dir / CA_KEY_FILE, _key_pem(ca_key), 0o600)
        _write(files.key, _key_pem(client_key), 0o600)
        _write(files.cert, client.public_bytes(serialization.Encoding.PEM), 0o644)
        _write(files.ca, ca.public_bytes(serialization.Encoding.PEM), 0o644)
    except OSError as exc:
        raise MachineError(f"cannot write the machines' certificates in {certs_dir}: {exc.strerror}") from exc
    return files


def server_cert(certs_dir: Path, out_dir: Path, name: str, addresses: list[str]) -> tuple[Path, Path]:
    """A server certificate for machine ``name`` (in ``out_dir``), signed by the CA, valid for
    its addresses, 127.0.0.1, localhost and its name; returns (certificate, key)."""
    ensure_ca(certs_dir)
    try:
        ca_key = serialization.load_pem_private_key((certs_dir / CA_KEY_FILE).read_bytes(), None)
        ca = x509.load_pem_x509_certificate((certs_dir / CA_FILE).read_bytes())
    except (OSError, ValueError) as exc:
        raise MachineError(f"cannot read the machines' CA in {certs_dir}: {exc}") from exc
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise MachineError(f"{certs_dir / CA_KEY_FILE} is not the CA key swarmdeck made")
    sans: list[x509.GeneralName] = []
    seen: set[str] = set()
    for value in [*addresses, "127.0.0.1", "localhost", name]:
        if not value or value in seen:
            continue
        seen.add(value)
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(value)))
        except ValueError:
            sans.append(x509.DNSName(value))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(_name(name), ca.subject, key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = out_dir / SERVER_CERT_FILE, out_dir / SERVER_KEY_FILE
    try:
        _write(key_path, _key_pem(key), 0o600)
        _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    except OSError as exc:
        raise MachineError(f"cannot write the server certificate in {out_dir}: {exc.strerror}") from exc
    return cert_path, key_path
