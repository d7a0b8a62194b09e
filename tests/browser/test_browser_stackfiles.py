"""Stack history and app templates in headless Chromium on the real swarm: an admin adds a
template (its title and compose carry markup that must stay text), deploys a stack from it
with its variables' form, edits the file on the stack page and redeploys it after a plan,
sees two versions and their diff, then puts the older one back (plan, deploy) and the
service's spec is the first one again. An operator gets no template form and the API
refuses the add. Screenshots in artifacts/console/ (stackfiles-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import log_in, shot
from tests.testbed import unique_name

pytestmark = [pytest.mark.engine, pytest.mark.swarm, pytest.mark.slow]
XSS_TITLE = "<img src=x onerror=\"window.__xss='title'\">Sleeper"
TEMPLATE = """version: "3.8"
# <script>window.__xss = "compose"</script>
services:
  app:
    image: ${IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    environment:
      GREETING: ${GREETING:-hello}
      COLOUR: blue
    deploy:
      replicas: 1
"""


def _env(swarm, stack: str) -> list[str]:
    (service,) = swarm.manager.services.list(filters={"label": f"com.docker.stack.namespace={stack}"})
    return service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"].get("Env", [])


def test_template_deploy_edit_history_diff_and_back(live, page, swarm, swarm_cleanup, registry_busybox_image):
    log_in(page, live.url, "admin")
    page.on("dialog", lambda d: d.accept())
    key = unique_name("sdct-tpl")
    stack = swarm_cleanup.stack(unique_name("sdct-hist"))

    # an admin adds a template: its markup is shown as text, never run
    page.goto(live.url + "/stacks")
    page.click("#templates-box summary")
    page.click("#template-add-box summary")
    page.fill("#template-add input[name=key]", key)
    page.fill("#template-add input[name=title]", XSS_TITLE)
    page.fill("#template-add textarea[name=compose]", TEMPLATE)
    page.click("#template-add button[type=submit]")
    expect(page.locator("#notice")).to_contain_text("done")  # after the reload
    page.click("#templates-box summary")
    item = page.locator(f'#templates li[data-template="{key}"]')
    expect(item.locator("button.use-template")).to_have_text(XSS_TITLE)
    for builtin in ("friendlyhello with Redis", "Redis", "A registry", "nginx"):
        expect(page.locator("#templates button.use-template", has_text=builtin).first).to_be_visible()

    # the template fills the editor, with a form of its variables
    item.locator("button.use-template").click()
    expect(page.locator("#stack-editor textarea[name=compose]")).to_have_value(TEMPLATE)
    expect(page.locator("#template-variables input[data-variable=GREETING]")).to_have_value("hello")
    page.fill("#template-variables input[data-variable=IMAGE]", registry_busybox_image)
    page.fill("#stack-editor input[name=name]", stack)
    shot(page, "stackfiles-01-template")
    page.click("#stack-editor button[value=plan]")
    expect(page.locator("#stack-result")).to_contain_text(f"{stack}_app")
    page.click("#stack-editor button[value=deploy]")
    expect(page.locator("#stack-result")).to_contain_text(f"Creating service {stack}_app")
    expect(page.locator("#stack-outcome")).to_have_text("converged", timeout=90000)
    assert {"GREETING=hello", "COLOUR=blue"} <= set(_env(swarm, stack))

    # the stack page: the current file in the editor; an edit is deployed after its plan
    page.goto(f"{live.url}/stacks/{stack}")
    editor = page.locator("#stack-editor textarea[name=compose]")
    expect(editor).to_have_value(TEMPLATE)
    expect(page.locator("#stack-versions tbody tr")).to_have_count(1)
    deploy = page.locator("#stack-editor button[value=deploy]")
    expect(deploy).to_be_disabled()
    editor.fill(TEMPLATE.replace("blue", "red"))
    expect(deploy).to_be_disabled()
    page.click("#stack-editor button[value=plan]")
    expect(page.locator("#stack-result")).to_contain_text(f"{stack}_app")
    expect(deploy).to_be_enabled()
    assert "COLOUR=blue" in _env(swarm, stack)  # a plan changes nothing
    deploy.click()
    expect(page.locator("#stack-versions tbody tr")).to_have_count(2, timeout=30000)
    assert "COLOUR=red" in _env(swarm, stack)

    # the diff of the two versions, as text
    page.click("#stack-diff-button")
    diff = page.locator("#stack-diff")
    expect(diff.locator(".diff-del")).to_have_text("-      COLOUR: blue\n")
    expect(diff.locator(".diff-add")).to_have_text("+      COLOUR: red\n")
    expect(diff).to_contain_text(f"--- {stack} version 1")
    shot(page, "stackfiles-02-history-diff")

    # the older version back: loaded, planned, deployed; the service's spec is the first again
    page.click('#stack-versions button.load-version[data-version="1"]')
    expect(editor).to_have_value(TEMPLATE)
    expect(page.locator("#stack-editor input[name=env]")).to_have_value(
        f'{{"GREETING":"hello","IMAGE":"{registry_busybox_image}"}}'
    )
    expect(deploy).to_be_disabled()
    page.click("#stack-editor button[value=plan]")
    expect(deploy).to_be_enabled()
    deploy.click()
    expect(page.locator("#stack-versions tbody tr")).to_have_count(3, timeout=30000)
    assert {"GREETING=hello", "COLOUR=blue"} <= set(_env(swarm, stack))
    expect(page.locator("#stack-outcome")).to_have_text("converged", timeout=90000)
    shot(page, "stackfiles-03-older-redeployed")
    assert page.evaluate("window.__xss") is None

    # the deploys and the template are audited; the admin removes the template
    entries, _ = live.app.state.console.store.list_audit(limit=50)
    actions = [e.action for e in entries]
    assert "template.add" in actions and actions.count("stack.deploy") >= 3
    restored = next(e for e in entries if e.action == "stack.deploy")
    assert restored.target.endswith("; from version 1") and restored.result == "ok"
    page.goto(live.url + "/stacks")
    page.click("#templates-box summary")
    page.locator(f'#templates li[data-template="{key}"] button.danger').click()
    expect(page.locator(f'#templates li[data-template="{key}"]')).to_have_count(0)


def test_an_operator_cannot_add_a_template(live, page):
    log_in(page, live.url, "oper")
    page.expected_failures.append("status of 403 (Forbidden)")
    page.goto(live.url + "/stacks")
    page.click("#templates-box summary")
    expect(page.locator("#templates button.use-template", has_text="nginx")).to_be_visible()
    expect(page.locator("#template-add")).to_have_count(0)
    status = page.evaluate(
        """async () => (await fetch("/api/templates", {method: "POST", credentials: "same-origin",
             headers: {"Content-Type": "application/json", "X-CSRF-Token": document.body.dataset.csrf},
             body: JSON.stringify({key: "sdct-oper", title: "t", compose: "services: {}"})})).status"""
    )
    assert status == 403
