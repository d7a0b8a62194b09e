"""Repository names never become other paths; manifests of every kind are read right."""

import pytest

from swarmdeck.registry.errors import RegistryError
from swarmdeck.registry.manifests import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, parse_manifest
from swarmdeck.registry.names import check_name, check_reference, split_image


@pytest.mark.parametrize("name", ["friendlyhello", "library/redis", "a.b_c__d-e--f/g0", "x" * 255])
def test_valid_names(name):
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "../v2/_catalog",
        "a/../b",
        "/abs",
        "a//b",
        "UPPER",
        "a/",
        "%2e%2e/x",
        "a?x=1",
        "a#frag",
        "a b",
        "",
        "-lead",
        "trail-",
        "a\\b",
        "a/b/../../c",
        "x" * 256,
    ],
)
def test_path_tricks_and_bad_names_are_refused(name):
    with pytest.raises(RegistryError, match="not a valid repository name"):
        check_name(name)


@pytest.mark.parametrize("ref", ["latest", "v1.2.3-rc_1", "sha256:" + "a" * 64])
def test_references(ref):
    assert check_reference(ref) == ref


@pytest.mark.parametrize("ref", ["../x", "a/b", ".hidden", "", "sha256:short", "x" * 129])
def test_bad_references(ref):
    with pytest.raises(RegistryError):
        check_reference(ref)


def test_split_image():
    assert split_image("app") == ("app", "latest")
    assert split_image("team/app:v2") == ("team/app", "v2")
    assert split_image("app@sha256:" + "b" * 64) == ("app", "sha256:" + "b" * 64)


def test_docker_image_manifest_sizes():
    body = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {"digest": "sha256:c", "size": 1500, "mediaType": "x"},
        "layers": [
            {"digest": "sha256:l1", "size": 100, "mediaType": "t"},
            {"digest": "sha256:l2", "size": 250},
        ],
    }
    m = parse_manifest(body, "sha256:m", 400, "ignored")
    assert not m.is_index
    assert (m.config_digest, m.image_size, len(m.layers)) == ("sha256:c", 1850, 2)


@pytest.mark.parametrize("media_type", [DOCKER_LIST, OCI_INDEX])
def test_index_lists_platforms(media_type):
    body = {
        "mediaType": media_type,
        "manifests": [
            {"digest": "sha256:a", "size": 10, "platform": {"os": "linux", "architecture": "amd64"}},
            {
                "digest": "sha256:b",
                "size": 11,
                "platform": {"os": "linux", "architecture": "arm", "variant": "v7"},
            },
        ],
    }
    m = parse_manifest(body, "sha256:i", 300, "")
    assert m.is_index
    assert [str(p) for p in m.platforms] == ["linux/amd64", "linux/arm/v7"]


def test_oci_manifest_without_media_type_field_uses_the_content_type():
    body = {"schemaVersion": 2, "config": {"digest": "sha256:c", "size": 1}, "layers": []}
    m = parse_manifest(body, "sha256:m", 1, "application/vnd.oci.image.manifest.v1+json")
    assert m.media_type == "application/vnd.oci.image.manifest.v1+json"


@pytest.mark.parametrize(
    "body", [{"layers": [{}]}, {"manifests": [{"size": 1}]}, {"schemaVersion": 1, "fsLayers": []}]
)
def test_malformed_and_schema1_manifests_are_one_clear_error(body):
    with pytest.raises(RegistryError, match="manifest sha256:m"):
        parse_manifest(body, "sha256:m", 1, "")
