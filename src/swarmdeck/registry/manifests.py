"""Manifests as the registry serves them: Docker v2 schema 2 and OCI, images and indexes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from swarmdeck.registry.errors import RegistryError

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
IMAGE_TYPES = (DOCKER_MANIFEST, OCI_MANIFEST)
INDEX_TYPES = (DOCKER_LIST, OCI_INDEX)
ACCEPT = ", ".join((*IMAGE_TYPES, *INDEX_TYPES))


@dataclass(frozen=True)
class Layer:
    digest: str
    size: int
    media_type: str


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str
    digest: str
    size: int

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@dataclass(frozen=True)
class Manifest:
    """One manifest: an image (config + layers) or an index (one entry per platform)."""

    media_type: str
    digest: str
    size: int  # of the manifest document itself
    config_digest: str = ""
    config_size: int = 0
    layers: tuple[Layer, ...] = ()
    platforms: tuple[Platform, ...] = field(default=())

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    @property
    def image_size(self) -> int:
        """Bytes a pull transfers for this image: config and compressed layers."""
        return self.config_size + sum(layer.size for layer in self.layers)


def parse_manifest(body: dict[str, Any], digest: str, size: int, content_type: str) -> Manifest:
    media_type = body.get("mediaType") or content_type.split(";")[0].strip()
    try:
        if media_type in INDEX_TYPES or "manifests" in body:
            platforms = tuple(
                Platform(
                    os=(m.get("platform") or {}).get("os", ""),
                    architecture=(m.get("platform") or {}).get("architecture", ""),
                    variant=(m.get("platform") or {}).get("variant", ""),
                    digest=m["digest"],
                    size=int(m["size"]),
                )
                for m in body["manifests"]
            )
            return Manifest(media_type or OCI_INDEX, digest, size, platforms=platforms)
        if media_type in IMAGE_TYPES or "layers" in body:
            layers = tuple(Layer(x["digest"], int(x["size"]), x.get("mediaType", "")) for x in body["layers"])
            config = body["config"]
            return Manifest(
                media_type or OCI_MANIFEST, digest, size, config["digest"], int(config["size"]), layers
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise RegistryError(f"manifest {digest} is malformed: {exc!r}") from exc
    raise RegistryError(
        f"manifest {digest} has an unsupported media type {media_type!r} "
        "(Docker schema 1 manifests are not supported)"
    )
