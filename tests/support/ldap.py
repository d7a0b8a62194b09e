"""A real OpenLDAP server for the directory-login tests: Debian's ``slapd`` started in a
temporary directory with a configuration of its own (an MDB database, the standard schemas)
on a free loopback port, loaded with a few people and groups by ``ldapadd``, stopped after."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUFFIX = "dc=example,dc=org"
ROOT_DN, ROOT_PASSWORD = f"cn=admin,{SUFFIX}", "root-secret"
SERVICE_DN, SERVICE_PASSWORD = f"cn=swarmdeck,ou=services,{SUFFIX}", "service secret"
PEOPLE, GROUPS = f"ou=people,{SUFFIX}", f"ou=groups,{SUFFIX}"
# uid -> (password, groups): ann operates, bob administers, carl is in no mapped group, and
# "admin" shares its name with the console's local admin (who must keep their own password).
PEOPLE_ENTRIES = {
    "ann": ("ann's directory password", ("ops",)),
    "bob": ("bob's directory password", ("console-admins",)),
    "carl": ("carl's directory password", ("others",)),
    "admin": ("the directory's admin password", ("console-admins",)),
}


@dataclass(frozen=True)
class Slapd:
    url: str

    @staticmethod
    def group(name: str) -> str:
        return f"cn={name},{GROUPS}"

    @staticmethod
    def person(uid: str) -> str:
        return f"uid={uid},{PEOPLE}"


def available() -> bool:
    return shutil.which("slapd") is not None or Path("/usr/sbin/slapd").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(folder: Path) -> Path:
    (folder / "db").mkdir(mode=0o700)
    schemas = "\n".join(
        f"include /etc/ldap/schema/{s}.schema" for s in ("core", "cosine", "inetorgperson", "nis")
    )
    conf = folder / "slapd.conf"
    conf.write_text(
        f"""{schemas}
pidfile {folder}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {folder}/db
"""
    )
    return conf


def _entries() -> str:
    blocks = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: example",
        *(
            f"dn: ou={ou},{SUFFIX}\nobjectClass: organizationalUnit\nou: {ou}"
            for ou in ("people", "groups", "services")
        ),
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: swarmdeck\nuserPassword: {SERVICE_PASSWORD}",
    ]
    members: dict[str, list[str]] = {}
    for uid, (password, groups) in PEOPLE_ENTRIES.items():
        blocks.append(
            f"dn: {Slapd.person(uid)}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\n"
            f"userPassword: {password}"
        )
        for g in groups:
            members.setdefault(g, []).append(Slapd.person(uid))
    for g, dns in members.items():
        lines = "\n".join(f"member: {dn}" for dn in dns)
        blocks.append(f"dn: {Slapd.group(g)}\nobjectClass: groupOfNames\ncn: {g}\n{lines}")
    return "\n\n".join(blocks) + "\n"


@contextmanager
def running_slapd(folder: Path) -> Iterator[Slapd]:
    """slapd on a free loopback port, loaded with the entries above, until the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    conf = _config(folder)
    port = _free_port()
    url = f"ldap://127.0.0.1:{port}"
    proc = subprocess.Popen(
        ["/usr/sbin/slapd", "-f", str(conf), "-h", f"{url}/", "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"slapd exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("slapd did not listen within 20 s") from None
                time.sleep(0.1)
        loaded = subprocess.run(
            ["ldapadd", "-x", "-H", url, "-D", ROOT_DN, "-w", ROOT_PASSWORD],
            input=_entries(),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert loaded.returncode == 0, loaded.stderr
        yield Slapd(url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
