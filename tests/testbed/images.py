"""Images without Docker Hub: a busybox image made from the host's static busybox, and
ways to get an image onto node B (through the registry, or `docker save | docker load`).

Trap: Debian's static busybox 1.35 `wget -T N` dies with a segmentation fault; use
`timeout N wget ...` instead.
"""

from __future__ import annotations

import io
import subprocess
import tarfile

import docker
import docker.errors

from .common import TestbedError
from .config import BUSYBOX_BINARY, BUSYBOX_IMAGE


def _busybox_tar() -> bytes:
    """A root filesystem: /bin/busybox, a symlink per applet, and the usual empty dirs."""
    if not BUSYBOX_BINARY.exists():
        raise TestbedError(f"{BUSYBOX_BINARY} is missing (apt-get install busybox-static)")
    applets = subprocess.run(
        [str(BUSYBOX_BINARY), "--list"], capture_output=True, text=True, check=True
    ).stdout.split()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, mode in (
            ("bin", 0o755),
            ("etc", 0o755),
            ("root", 0o700),
            ("tmp", 0o1777),
            ("var", 0o755),
            ("www", 0o755),
        ):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)
        tar.add(str(BUSYBOX_BINARY), arcname="bin/busybox")
        for applet in applets:
            if applet != "busybox":
                link = tarfile.TarInfo(f"bin/{applet}")
                link.type, link.linkname = tarfile.SYMTYPE, "busybox"
                tar.addfile(link)
        passwd = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
        info = tarfile.TarInfo("etc/passwd")
        info.size = len(passwd)
        tar.addfile(info, io.BytesIO(passwd))
    return buf.getvalue()


def ensure_busybox(client: docker.DockerClient) -> str:
    """The busybox image on this engine (built in about a second if missing); its name."""
    try:
        client.images.get(BUSYBOX_IMAGE)
        return BUSYBOX_IMAGE
    except docker.errors.ImageNotFound:
        pass
    repository, tag = BUSYBOX_IMAGE.rsplit(":", 1)
    client.api.import_image_from_data(_busybox_tar(), repository=repository, tag=tag, changes=['CMD ["sh"]'])
    client.images.get(BUSYBOX_IMAGE)  # raises if the import did not produce it
    return BUSYBOX_IMAGE


def _check_stream(lines: object, what: str) -> list[dict]:
    """Drain a decoded progress stream of the engine; an error entry raises."""
    seen = list(lines)  # type: ignore[call-overload]
    for line in seen:
        if isinstance(line, dict) and line.get("error"):
            raise TestbedError(f"{what} failed: {line['error']}")
    return seen


def push_to_registry(
    client: docker.DockerClient,
    image: str,
    registry_addr: str,
    repository: str | None = None,
    tag: str | None = None,
) -> str:
    """Tag `image` as REGISTRY/REPOSITORY:TAG (default: its own name and tag) and push it.

    Returns the pushed reference, e.g. "100.77.13.1:5443/swarmdeck-testbed/busybox:1".
    """
    name, _, own_tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "latest")
    repository = f"{registry_addr}/{repository or name}"
    tag = tag or own_tag
    client.images.get(image).tag(repository, tag)
    lines = client.images.push(repository, tag=tag, stream=True, decode=True)
    _check_stream(lines, f"push of {repository}:{tag}")
    return f"{repository}:{tag}"


def load_on_node_b(a: docker.DockerClient, b: docker.DockerClient, image: str) -> str:
    """Copy `image` from engine A to engine B (`docker save | docker load`); returns its name."""
    try:
        data = a.api.get_image(image)
    except docker.errors.ImageNotFound as exc:
        raise TestbedError(f"image {image} is not on node A") from exc
    _check_stream(b.api.load_image(data), f"load of {image} on node B")
    b.images.get(image)
    return image
