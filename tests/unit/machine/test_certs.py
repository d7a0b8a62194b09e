"""The machines' TLS: a server certificate verifies against the CA for the machine's
addresses and names, and for nothing else; keys are owner-only; a real TLS handshake with
the client certificate succeeds, and one without it is refused."""

import ipaddress
import socket
import ssl
import stat
import threading

import pytest
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from swarmdeck.machine.certs import ensure_ca, server_cert


def _verify(ca_pem, cert_pem, subject):
    ca = x509.load_pem_x509_certificate(ca_pem)
    cert = x509.load_pem_x509_certificate(cert_pem)
    verifier = PolicyBuilder().store(Store([ca])).build_server_verifier(subject)
    return verifier.verify(cert, [])


def test_ca_and_client_files_made_once_with_owner_only_keys(tmp_path):
    files = ensure_ca(tmp_path / "certs")
    for name in ("ca.pem", "ca-key.pem", "cert.pem", "key.pem"):
        assert (tmp_path / "certs" / name).is_file()
    for name in ("ca-key.pem", "key.pem"):
        assert stat.S_IMODE((tmp_path / "certs" / name).stat().st_mode) == 0o600
    before = files.ca.read_bytes()
    assert ensure_ca(tmp_path / "certs").ca.read_bytes() == before


def test_server_cert_verifies_for_its_addresses_and_name(tmp_path):
    files = ensure_ca(tmp_path / "certs")
    cert, key = server_cert(tmp_path / "certs", tmp_path, "node1", ["203.0.113.5", "10.77.0.1"])
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    for subject in (
        x509.IPAddress(ipaddress.ip_address("203.0.113.5")),
        x509.IPAddress(ipaddress.ip_address("10.77.0.1")),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.DNSName("localhost"),
        x509.DNSName("node1"),
    ):
        _verify(files.ca.read_bytes(), cert.read_bytes(), subject)
    for wrong in (x509.IPAddress(ipaddress.ip_address("203.0.113.6")), x509.DNSName("node2")):
        with pytest.raises(VerificationError):
            _verify(files.ca.read_bytes(), cert.read_bytes(), wrong)


def test_another_ca_does_not_verify_it(tmp_path):
    ensure_ca(tmp_path / "a")
    other = ensure_ca(tmp_path / "b")
    cert, _ = server_cert(tmp_path / "a", tmp_path, "node1", ["203.0.113.5"])
    with pytest.raises(VerificationError):
        _verify(other.ca.read_bytes(), cert.read_bytes(), x509.DNSName("node1"))


def _serve_once(server_ctx, listener, result):
    conn, _ = listener.accept()
    try:
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            result.append(tls.getpeercert())
            tls.sendall(b"ok")
    except (ssl.SSLError, OSError) as exc:
        result.append(exc)


@pytest.mark.parametrize("with_client_cert", [True, False])
def test_tls_handshake_needs_the_client_certificate(tmp_path, with_client_cert):
    files = ensure_ca(tmp_path / "certs")
    cert, key = server_cert(tmp_path / "certs", tmp_path, "node1", [])
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    server_ctx.load_verify_locations(files.ca)
    server_ctx.verify_mode = ssl.CERT_REQUIRED  # as dockerd --tlsverify
    client_ctx = ssl.create_default_context(cafile=str(files.ca))
    if with_client_cert:
        client_ctx.load_cert_chain(files.cert, files.key)
    listener = socket.create_server(("127.0.0.1", 0))
    result: list = []
    thread = threading.Thread(target=_serve_once, args=(server_ctx, listener, result))
    thread.start()
    try:
        raw = socket.create_connection(listener.getsockname())
        with client_ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            if with_client_cert:
                assert tls.recv(2) == b"ok"
            else:
                with pytest.raises((ssl.SSLError, ConnectionError)):
                    tls.recv(2)  # TLS 1.3: the refusal arrives after the handshake
    finally:
        thread.join(10)
        listener.close()
    if with_client_cert:
        assert result and isinstance(result[0], dict)
    else:
        assert result and isinstance(result[0], ssl.SSLError)
