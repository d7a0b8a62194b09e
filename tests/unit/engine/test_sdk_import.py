"""The docker SDK is imported without its SSH transport, which still works for ssh://."""

import subprocess
import sys

CHECK = """
import sys
import swarmdeck.engine.client
assert "paramiko" not in sys.modules, "paramiko imported with the SDK"
import docker
try:
    docker.APIClient("ssh://nobody@127.0.0.1:9", version="1.41", timeout=2).ping()
except Exception as exc:
    print(type(exc).__module__)
transport = sys.modules["docker.transport.sshconn"]
assert transport.__file__.endswith("sshconn.py") and "paramiko" in sys.modules
"""


def test_paramiko_is_loaded_only_by_an_ssh_client():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # the failure is the SSH transport's own (no server on port 9), not a missing adapter
    assert done.stdout.split()[0].startswith("paramiko"), done.stdout
