"""Stacks from Git in headless Chromium on the real swarm, the repository on a real Git server
the test starts (``git http-backend`` asking for credentials): an operator sets up a Git stack
from the stacks page (URL, branch, file path, username and token) and it is deployed; the
stack page shows the repository, the deployed commit and the webhook URL; a pushed change
reaches the swarm when the webhook is called (a wrong secret deploys nothing); another push
is deployed by the page's redeploy button; a path with '..' is refused in the form with one
clear error. The token never shows in a page. Screenshots in artifacts/console/
(gitstacks-*.png)."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.browser import log_in, shot
from tests.support.gitserver import git_server
from tests.support.stacks import compose
from tests.testbed import unique_name

pytestmark = [pytest.mark.engine, pytest.mark.swarm, pytest.mark.slow]
USER, TOKEN = "deployer", "tok-b70e4c2d19-not-for-pages"


def _env(swarm, stack: str) -> list[str]:
    (service,) = swarm.manager.services.list(filters={"label": f"com.docker.stack.namespace={stack}"})
    return service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"].get("Env", [])


def _file(image: str, greeting: str) -> str:
    return compose(image, replicas=1).replace("${GREETING:-none}", greeting)


def test_git_stack_from_the_form_webhook_and_button(
    live, page, swarm, swarm_cleanup, registry_busybox_image, tmp_path
):
    stack = swarm_cleanup.stack(unique_name("sdgitb"))
    page.on("dialog", lambda d: d.accept())
    page.expected_failures.append("status of 422 (Unprocessable Entity)")  # the refused path, below
    with git_server(tmp_path / "git", USER, TOKEN) as server:
        server.make_repo("web")
        c1 = server.commit("web", {"stacks/web.yml": _file(registry_busybox_image, "one")})

        # the form on the stacks page
        log_in(page, live.url, "oper")
        page.goto(live.url + "/stacks")
        page.click("#git-add-box summary")
        form = page.locator("#git-add")
        form.locator("input[name=stack]").fill(stack)
        form.locator("input[name=url]").fill(server.url("web"))
        form.locator("input[name=path]").fill("stacks/web.yml")
        form.locator("input[name=username]").fill(USER)
        form.locator("input[name=token]").fill(TOKEN)
        shot(page, "gitstacks-01-form")
        form.locator("button[type=submit]").click()
        row = page.locator(f'#git-stacks tr[data-git-stack="{stack}"]')
        expect(row).to_contain_text(c1[:12], timeout=90000)
        expect(row.locator(".git-result")).to_contain_text("ok: deployed")
        assert "GREETING=one" in _env(swarm, stack)
        assert TOKEN not in page.content()
        shot(page, "gitstacks-02-list")

        # the stack page: repository, commit, version with its commit, the webhook URL
        page.goto(f"{live.url}/stacks/{stack}")
        expect(page.locator("#git-commit")).to_have_text(c1)
        expect(page.locator("#stack-versions tbody tr")).to_have_count(1)
        expect(page.locator('#stack-versions tr[data-version="1"]')).to_contain_text(c1[:12])
        hook = page.locator("#git-webhook").input_value()
        assert hook.startswith(live.url + "/api/hooks/git/")
        assert TOKEN not in page.content()
        shot(page, "gitstacks-03-stack-page")

        # a push, then the webhook: a wrong secret deploys nothing, the right one converges
        c2 = server.commit("web", {"stacks/web.yml": _file(registry_busybox_image, "two")})
        with httpx.Client(timeout=30) as anonymous:  # no session: the URL is the credential
            assert anonymous.post(hook[:-4] + "AAAA").status_code == 404
            time.sleep(2)
            assert "GREETING=one" in _env(swarm, stack)
            assert anonymous.post(hook).status_code == 202
        deadline = time.monotonic() + 180
        while "GREETING=two" not in _env(swarm, stack):
            assert time.monotonic() < deadline, "the webhook's redeploy did not reach the swarm"
            time.sleep(0.5)
        page.reload()
        expect(page.locator("#git-commit")).to_have_text(c2, timeout=30000)
        expect(page.locator("#stack-versions tbody tr")).to_have_count(2)
        expect(page.locator("#git-result")).to_contain_text("as version 2")
        shot(page, "gitstacks-04-after-webhook")

        # another push, deployed by the button
        c3 = server.commit("web", {"stacks/web.yml": _file(registry_busybox_image, "three")})
        page.click("#git-redeploy")
        expect(page.locator("#git-commit")).to_have_text(c3, timeout=90000)
        expect(page.locator("#stack-versions tbody tr")).to_have_count(3)
        assert "GREETING=three" in _env(swarm, stack)
        shot(page, "gitstacks-05-redeployed")

        # a path out of the repository: one clear error in the form, nothing kept
        page.goto(live.url + "/stacks")
        page.click("#git-add-box summary")
        form.locator("input[name=stack]").fill(stack + "x")
        form.locator("input[name=url]").fill(server.url("web"))
        form.locator("input[name=path]").fill("../x.yml")
        form.locator("button[type=submit]").click()
        expect(form.locator(".form-error")).to_contain_text("without '..'")
        expect(page.locator(f'#git-stacks tr[data-git-stack="{stack}x"]')).to_have_count(0)
        shot(page, "gitstacks-06-refused")

    entries, _ = live.app.state.console.store.list_audit(limit=100)
    assert any(e.action == "gitstack.webhook" and e.result.startswith("denied") for e in entries)
    assert any(e.action == "stack.deploy" and "(webhook)" in e.target for e in entries)
    assert not any(TOKEN in f"{e.target} {e.result}" for e in entries)
