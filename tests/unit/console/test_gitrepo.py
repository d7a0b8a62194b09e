"""The checks a Git stack's settings pass before git runs: URLs other than https/http/git
(file://, local paths, ssh, transport helpers, options such as --upload-pack=), credentials
inside URLs, option-like or '..' refs and paths outside the repository are each refused
with one clear error; fetching through a real repository (file:// refused, so a local
server) is in tests/integration/cluster/test_git_stacks.py."""

from __future__ import annotations

import pytest

from swarmdeck.console.gitrepo import GitRefused, check_path, check_ref, check_url, fetch

GOOD_URLS = [
    "https://git.example.org/team/app.git",
    "http://127.0.0.1:8080/app.git",
    "git://git.example.org/app",
    "https://[::1]:3000/app.git",
]
BAD_URLS = {
    "--upload-pack=touch /tmp/pwned": "does not start with '-'",
    "-uhttps://x/y": "does not start with '-'",
    "file:///etc": "https://, http:// or git://",
    "/srv/repos/app.git": "https://, http:// or git://",
    "../app.git": "https://, http:// or git://",
    "ssh://git@example.org/app.git": "https://, http:// or git://",
    "git@example.org:team/app.git": "https://, http:// or git://",
    "ext::sh%20-c%20touch%20/tmp/pwned": "https://, http:// or git://",
    "https://user:secret@example.org/app.git": "no credentials in it",
    "https://example.org/a b": "no spaces",
    "https:///app.git": "names a host",
    "https://example.org:99999/app.git": "port",
    "": "1 to 500",
}


@pytest.mark.parametrize("url", GOOD_URLS)
def test_remote_urls_are_taken(url):
    assert check_url(url) == url


@pytest.mark.parametrize("url", BAD_URLS)
def test_other_urls_are_refused_with_one_clear_error(url):
    with pytest.raises(GitRefused) as refused:
        check_url(url)
    assert BAD_URLS[url] in str(refused.value)
    assert refused.value.status == 422


@pytest.mark.parametrize("ref", ["main", "release/1.2", "v1.0.0", "feature_x-2"])
def test_refs(ref):
    assert check_ref(ref) == ref


@pytest.mark.parametrize(
    "ref", ["", "-b", "--upload-pack=x", "a..b", "/main", ".hidden", "x.lock", "a b", "a//b"]
)
def test_bad_refs_are_refused(ref):
    with pytest.raises(GitRefused):
        check_ref(ref)


@pytest.mark.parametrize("path", ["docker-compose.yml", "deploy/stack.yml", "./stack.yml"])
def test_paths(path):
    assert check_path(path) == path


@pytest.mark.parametrize(
    "path", ["../x.yml", "a/../../x.yml", "/etc/passwd", "-x.yml", "a\\..\\x.yml", "a\nb", ""]
)
def test_paths_out_of_the_repository_are_refused(path):
    with pytest.raises(GitRefused):
        check_path(path)


def test_fetch_checks_before_git_runs(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(GitRefused):
        fetch(f"--upload-pack=touch {marker}", "main", "docker-compose.yml")
    with pytest.raises(GitRefused):
        fetch(f"file://{tmp_path}", "main", "docker-compose.yml")
    assert not marker.exists()
