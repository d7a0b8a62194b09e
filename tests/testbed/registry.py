"""The registry both nodes pull from: Debian's `docker-registry` (CNCF distribution 2.8)
serving TLS on 100.77.13.1:5443.

Engines only push to a non-loopback registry over TLS or after a daemon restart with
--insecure-registry, so the bed makes a small CA with openssl and drops its certificate
into /etc/docker/certs.d/100.77.13.1:5443/, which both engines read on every pull and push.
The CA and server key are kept under /var/lib/swarmdeck-testbed/pki and reused; the
registry's data lives in a temp dir created by whoever started it and removed with it.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from .common import TestbedError, is_process, log_tail, run, spawn, stop_process, wait_for
from .config import (
    DOCKER_CERTS_DIR,
    LOG_DIR,
    NODE_A_ADDR,
    PKI_DIR,
    REGISTRY_ADDR,
    REGISTRY_CA,
    REGISTRY_PORT,
    REGISTRY_START_TIMEOUT,
)

REGISTRY_LOG = LOG_DIR / "registry.log"
CA_CERT = PKI_DIR / "ca.crt"
CA_KEY = PKI_DIR / "ca.key"
SERVER_CERT = PKI_DIR / "server.crt"
SERVER_KEY = PKI_DIR / "server.key"


@dataclass(frozen=True)
class Registry:
    address: str  # "100.77.13.1:5443", the prefix of image references
    ca: Path  # give it to httpx as verify=ssl_context() / the path to other tools

    def url(self, path: str = "/v2/") -> str:
        """https URL of an API path, e.g. registry.url("/v2/_catalog")."""
        return f"https://{self.address}/{path.lstrip('/')}"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    def client(self, timeout: float = 30) -> httpx.Client:
        """An httpx client that trusts the bed's CA, with base_url set."""
        return httpx.Client(base_url=f"https://{self.address}", verify=self.ssl_context(), timeout=timeout)

    def ref(self, repository: str, tag: str = "latest") -> str:
        return f"{self.address}/{repository}:{tag}"


REGISTRY = Registry(REGISTRY_ADDR, REGISTRY_CA)


def _certs_valid() -> bool:
    if not all(p.exists() for p in (CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY)):
        return False
    # valid for another day, and signed by the CA we have
    fresh = run(["openssl", "x509", "-checkend", "86400", "-noout", "-in", str(SERVER_CERT)], check=False)
    chain = run(["openssl", "verify", "-CAfile", str(CA_CERT), str(SERVER_CERT)], check=False)
    return fresh.returncode == 0 and chain.returncode == 0


def ensure_pki() -> None:
    """A CA and a server certificate for IP:100.77.13.1 (EC P-256: made in milliseconds)."""
    if not _certs_valid():
        PKI_DIR.mkdir(parents=True, exist_ok=True)
        PKI_DIR.chmod(0o700)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        run(
            [
                "openssl",
                "req",
                "-x509",
                *ec,
                "-days",
                "3650",
                "-keyout",
                str(CA_KEY),
                "-out",
                str(CA_CERT),
                "-subj",
                "/CN=swarmdeck test bed CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ]
        )
        csr = PKI_DIR / "server.csr"
        run(
            [
                "openssl",
                "req",
                "-new",
                *ec,
                "-keyout",
                str(SERVER_KEY),
                "-out",
                str(csr),
                "-subj",
                f"/CN={NODE_A_ADDR}",
            ]
        )
        ext = PKI_DIR / "server.ext"
        ext.write_text(
            f"subjectAltName=IP:{NODE_A_ADDR}\n"
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\n"
        )
        run(
            [
                "openssl",
                "x509",
                "-req",
                "-in",
                str(csr),
                "-CA",
                str(CA_CERT),
                "-CAkey",
                str(CA_KEY),
                "-CAcreateserial",
                "-days",
                "825",
                "-extfile",
                str(ext),
                "-out",
                str(SERVER_CERT),
            ]
        )
        for path in (csr, ext):
            path.unlink()
        for key in (CA_KEY, SERVER_KEY):
            key.chmod(0o600)
    DOCKER_CERTS_DIR.mkdir(parents=True, exist_ok=True)
    if not REGISTRY_CA.exists() or REGISTRY_CA.read_bytes() != CA_CERT.read_bytes():
        shutil.copyfile(CA_CERT, REGISTRY_CA)


def answers() -> bool:
    """True if a registry answers /v2/ at the address with a certificate from our CA."""
    try:
        with REGISTRY.client(timeout=2) as client:
            return client.get("/v2/").status_code == 200
    except (httpx.HTTPError, ssl.SSLError, OSError):
        return False


def _config(data_dir: Path) -> str:
    return f"""\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {data_dir}
  delete:
    enabled: true
http:
  addr: {NODE_A_ADDR}:{REGISTRY_PORT}
  tls:
    certificate: {SERVER_CERT}
    key: {SERVER_KEY}
"""


def start() -> tuple[int, Path]:
    """Start a registry with a fresh data dir; returns (pid, the temp dir to remove later)."""
    if not shutil.which("docker-registry"):
        raise TestbedError("`docker-registry` is not installed (apt-get install docker-registry)")
    workdir = Path(tempfile.mkdtemp(prefix="sdtb-registry-"))
    config = workdir / "config.yml"
    config.write_text(_config(workdir / "data"))
    proc = spawn(["docker-registry", "serve", str(config)], REGISTRY_LOG)

    def up() -> bool:
        if proc.poll() is not None:
            raise TestbedError(f"docker-registry exited with {proc.returncode}\n{log_tail(REGISTRY_LOG)}")
        return answers()

    try:
        wait_for(
            up,
            timeout=REGISTRY_START_TIMEOUT,
            what=f"the registry on {REGISTRY_ADDR}",
            detail=lambda: log_tail(REGISTRY_LOG),
        )
    except TestbedError:
        stop(proc.pid, workdir)
        raise
    return proc.pid, workdir


def stop(pid: int | None, workdir: Path | None) -> None:
    """Stop a registry this bed started (checked by command line) and remove its data."""
    if workdir and is_process(pid, "docker-registry", str(workdir)):
        assert pid is not None
        stop_process(pid, grace=10)
    if workdir and workdir.name.startswith("sdtb-registry-"):
        shutil.rmtree(workdir, ignore_errors=True)
