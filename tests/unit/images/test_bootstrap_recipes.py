"""Pure logic of the offline base-image builder: apt sources, recipes, host checks."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from swarmdeck.images.bootstrap import (
    BASE_IMAGES,
    AptSource,
    RecipeFile,
    find_mirror,
    parse_deb822_sources,
    parse_one_line_sources,
    pick_mirror,
)
from swarmdeck.images.errors import ImageError

# Host names here are placeholders of the reserved .example domain, never a real mirror.
DEB822 = """\
Types: deb
# a comment inside a paragraph
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main

Types: deb
Enabled: no
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGPL
 -----END PGP PUBLIC KEY BLOCK-----
"""

ONE_LINE = """\
# deb http://commented.example/debian bookworm main
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main non-free
deb http://one.example/debian bookworm-updates main  # trailing comment
deb cdrom:[Debian GNU/Linux 12 _Bookworm_]/ bookworm main contrib
"""


def test_deb822_paragraphs_fields_and_continuation_lines() -> None:
    sources = parse_deb822_sources(DEB822)
    assert [s.uris for s in sources] == [
        ("http://mirror.example/debian",),
        ("http://security.example/debian-security",),
        ("http://disabled.example/debian",),
    ]
    first, second, third = sources
    assert first.suites == ("bookworm", "bookworm-updates")
    assert first.components == ("main", "contrib")
    assert second.types == ("deb", "deb-src")
    assert (first.enabled, second.enabled, third.enabled) == (True, True, False)
    assert third.suites == ("bookworm",)  # the key block's continuation lines did not leak


def test_one_line_format_skips_comments_options_and_source_lines() -> None:
    sources = parse_one_line_sources(ONE_LINE)
    assert [(s.types, s.uris, s.suites, s.components) for s in sources] == [
        (("deb-src",), ("http://src.example/debian",), ("bookworm",), ("main",)),
        (("deb",), ("http://one.example/debian",), ("bookworm",), ("main", "non-free")),
        (("deb",), ("http://one.example/debian",), ("bookworm-updates",), ("main",)),
        (
            ("deb",),
            ("cdrom:[Debian GNU/Linux 12 _Bookworm_]/",),
            ("bookworm",),
            ("main", "contrib"),
        ),
    ]
    assert pick_mirror(sources) == "http://one.example/debian"


def test_pick_mirror_wants_an_enabled_deb_source_of_the_suite_with_main() -> None:
    def source(uri: str, suite: str = "bookworm", **kw: object) -> AptSource:
        fields: dict[str, object] = {
            "types": ("deb",),
            "uris": (uri,),
            "suites": (suite,),
            "components": ("main",),
        }
        fields.update(kw)
        return AptSource(**fields)  # type: ignore[arg-type]

    candidates = [
        source("http://updates.example/debian", suite="bookworm-updates"),
        source("http://disabled.example/debian", enabled=False),
        source("http://src.example/debian", types=("deb-src",)),
        source("http://contrib.example/debian", components=("contrib",)),
        source("cdrom:/media/cdrom"),
        source("https://good.example/debian"),
    ]
    assert pick_mirror(candidates) == "https://good.example/debian"
    assert pick_mirror(candidates[:-1]) is None
    assert pick_mirror([source("http://trixie.example/debian", suite="trixie")]) is None
    assert pick_mirror(parse_deb822_sources(DEB822)) == "http://mirror.example/debian"


def _apt_dir(tmp_path: Path, sources: str | None, sources_list: str | None) -> Path:
    (tmp_path / "sources.list.d").mkdir(parents=True)
    if sources is not None:
        (tmp_path / "sources.list.d" / "debian.sources").write_text(sources)
    if sources_list is not None:
        (tmp_path / "sources.list").write_text(sources_list)
    return tmp_path


def test_find_mirror_prefers_deb822_then_falls_back_to_sources_list(tmp_path: Path) -> None:
    both = _apt_dir(tmp_path / "both", DEB822, ONE_LINE)
    assert find_mirror(both) == "http://mirror.example/debian"
    legacy = _apt_dir(tmp_path / "legacy", None, ONE_LINE)
    assert find_mirror(legacy) == "http://one.example/debian"


def test_find_mirror_without_a_bookworm_source_says_where_it_looked(tmp_path: Path) -> None:
    apt = _apt_dir(tmp_path, "Types: deb\nURIs: http://x.example/debian\nSuites: trixie\n", None)
    with pytest.raises(ImageError, match=r"no Debian mirror for 'bookworm main'.*sources"):
        find_mirror(apt)


def test_find_mirror_reports_an_unreadable_sources_file(tmp_path: Path) -> None:
    apt = _apt_dir(tmp_path, None, None)
    (apt / "sources.list.d" / "broken.sources").mkdir()  # a directory: reading it fails
    with pytest.raises(ImageError, match=r"cannot read the apt sources .*broken\.sources"):
        find_mirror(apt)


def test_the_four_roles_and_the_images_they_stand_in_for() -> None:
    assert {role: (r.official, r.image) for role, r in BASE_IMAGES.items()} == {
        "python": ("python:3.11-slim", "swarmdeck-base/python:3.11"),
        "redis": ("redis:7", "swarmdeck-base/redis:7"),
        "registry": ("registry:2", "swarmdeck-base/registry:2"),
        "proxy": ("haproxy:2.6", "swarmdeck-base/haproxy:2.6"),
    }


def test_recipe_hash_is_stable_across_processes() -> None:
    code = (
        "from swarmdeck.images.bootstrap import BASE_IMAGES as B;"
        "print(' '.join(B[r].recipe_hash() for r in sorted(B)))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    here = " ".join(BASE_IMAGES[r].recipe_hash() for r in sorted(BASE_IMAGES))
    assert runs == {here}
    assert len(set(here.split())) == len(BASE_IMAGES)


def test_recipe_hash_follows_content_not_package_order() -> None:
    redis = BASE_IMAGES["redis"]
    same = dataclasses.replace(redis, packages=tuple(reversed(redis.packages + ("procps",))))
    assert dataclasses.replace(redis, packages=redis.packages + ("procps",)).recipe_hash() == (
        same.recipe_hash()
    )
    changed = [
        dataclasses.replace(redis, packages=redis.packages + ("procps",)),
        dataclasses.replace(redis, changes=redis.changes + ("EXPOSE 6380",)),
        dataclasses.replace(
            redis,
            files=(dataclasses.replace(redis.files[0], mode=0o700),),
        ),
        dataclasses.replace(
            redis,
            files=(RecipeFile(redis.files[0].path, "haproxy-entrypoint.sh", 0o755),),
        ),
        dataclasses.replace(redis, dirs=("data", "more")),
    ]
    hashes = {variant.recipe_hash() for variant in changed} | {redis.recipe_hash()}
    assert len(hashes) == len(changed) + 1


def test_every_recipe_file_ships_and_every_entrypoint_parses_under_sh() -> None:
    for recipe in BASE_IMAGES.values():
        for item in recipe.files:
            content = item.content()
            assert content, item.source
            if item.source.endswith(".sh"):
                assert content.startswith(b"#!/bin/sh\n")
                subprocess.run(["sh", "-n"], input=content, check=True)


def _check_host_in_child(env: dict[str, str], *prefix: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        "from swarmdeck.images.bootstrap import check_host\n"
        "from swarmdeck.images.errors import ImageError\n"
        "try:\n    check_host()\n"
        "except ImageError as exc:\n    sys.exit(str(exc))\n"
    )
    return subprocess.run(
        [*prefix, sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd="/"
    )


def test_check_host_names_the_package_when_debootstrap_is_missing(tmp_path: Path) -> None:
    (tmp_path / "tar").symlink_to("/bin/tar")
    result = _check_host_in_child({**os.environ, "PATH": str(tmp_path)})
    assert result.returncode == 1
    assert "apt-get install debootstrap" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_host_refuses_a_non_root_user() -> None:
    assert os.geteuid() == 0, "this test drops from root to nobody"
    result = _check_host_in_child(
        dict(os.environ), "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"
    )
    assert result.returncode == 1
    assert "needs root" in result.stderr
    assert "Traceback" not in result.stderr
