"""The live pages in headless Chromium against the real engine and two-node swarm: changes made
with the docker CLI, the engine or another session (not through the page) show up without a
reload (the page's ``window`` marker survives, so nothing reloaded it) on /services, a
service's page (and its removal is said), /stacks (a stack from the CLI and one from the
console's API) and a stack's page; the events page shows a container's start live and filters
by type, name and time; a secret made from its page is listed, its value is nowhere in the
page, and its removal while a service uses it is refused naming the service; a config made
from an uploaded file shows its content; networks and volumes made on the engine show on their
lists. Screenshots in artifacts/console/ (live-01..10)."""

from __future__ import annotations

import os

import pytest
from docker.types import SecretReference
from playwright.sync_api import expect

from tests.support.browser import log_in, shot
from tests.support.cli import docker, ok
from tests.support.stacks import compose
from tests.testbed import unique_name
from tests.testbed.config import OBJECT_LABEL

pytestmark = [pytest.mark.engine, pytest.mark.swarm, pytest.mark.slow]
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
VALUE = "browser-s3cr3t-never-shown"
# ms: a change on the engine reaches the page in ~2 s on an idle machine; the bound leaves room for
# a loaded CI machine and is still far below anything but the live path (pages never reload).
LIVE = 8000


def mark(page) -> None:
    """A marker a reload would lose, once the page follows the engine's changes."""
    expect(page.locator("body[data-live-stream=open]")).to_have_count(1)
    page.evaluate("window.__sdctNoReload = true")


def not_reloaded(page) -> bool:
    return page.evaluate("window.__sdctNoReload === true")


def test_a_cli_scale_shows_on_services_and_the_service_page_without_reload(
    live, swarm, swarm_cleanup, page, registry_busybox_image
):
    # (swarm_cleanup before page: the page closes before the service goes)
    name = unique_name("sdct-livesvc")
    service = swarm_cleanup.service(
        registry_busybox_image,
        SLEEPER,
        name=name,
        labels={OBJECT_LABEL: str(os.getpid())},
        mode={"Replicated": {"Replicas": 1}},
    )
    log_in(page, live.url, "viewer")
    page.goto(f"{live.url}/services?q={name}")  # the list pages: searched, it is on the first
    row = page.locator(f'#services tr[data-id="{service.id}"]')
    expect(row).to_contain_text("1/1", timeout=60000)
    mark(page)
    ok(docker("service", "scale", "--detach", f"{name}=3"))
    expect(row).to_contain_text("/3", timeout=LIVE)  # the new replica count
    expect(row).to_contain_text("3/3", timeout=60000)  # then the tasks running
    assert not_reloaded(page)
    shot(page, "live-01-services-scaled-by-cli")

    page.goto(f"{live.url}/services/{service.id}")
    summary = page.locator("#service-live dl")
    expect(summary).to_contain_text("3/3 running")
    mark(page)
    ok(docker("service", "scale", "--detach", f"{name}=1"))
    expect(summary).to_contain_text("/1 running", timeout=LIVE)
    expect(summary).to_contain_text("1/1 running", timeout=60000)
    expect(page.locator("#service-live table.tasks tbody tr")).to_have_count(1, timeout=60000)
    assert not_reloaded(page)
    shot(page, "live-02-service-page-scaled-by-cli")
    # removed with the CLI: the page says so (its live part's fetch is a 404, as htmx logs it)
    page.expected_failures += [
        "status of 404 (Not Found)",
        f"Error Code 404 from /services/{service.id}?endpoint=local, [object HTMLDivElement]",
    ]
    ok(docker("service", "rm", name))
    swarm_cleanup.services.remove(service.id)
    expect(page.locator("#flash")).to_contain_text("removed meanwhile", timeout=LIVE)
    assert not_reloaded(page)


def test_a_stack_deployed_with_the_cli_shows_on_stacks_without_reload(
    live, swarm, swarm_cleanup, page, registry_busybox_image, tmp_path
):
    name = swarm_cleanup.stack(unique_name("sdct-livestack"))
    log_in(page, live.url, "viewer")
    page.goto(live.url + "/stacks")
    expect(page.locator("#stacks")).to_be_visible()
    mark(page)
    file = tmp_path / "stack.yml"
    file.write_text(compose(registry_busybox_image, replicas=1))
    ok(docker("stack", "deploy", "-c", str(file), name))
    stack_row = page.locator("#stacks tbody tr", has_text=name)
    expect(stack_row).to_be_visible(timeout=LIVE)
    expect(stack_row).to_contain_text("1/1", timeout=60000)
    assert not_reloaded(page)
    shot(page, "live-03-stacks-deployed-by-cli")
    # deployed from the console (another user's session): the open list shows it too
    other = swarm_cleanup.stack(unique_name("sdct-livestack"))
    deployed = live.login("oper").post(
        f"/api/stacks/{other}/deploy", json={"compose": compose(registry_busybox_image, replicas=0)}
    )
    assert deployed.status_code == 200, deployed.text
    expect(page.locator("#stacks tbody tr", has_text=other)).to_be_visible(timeout=LIVE)
    assert not_reloaded(page)
    # the stack's page follows its service's scale
    page.goto(f"{live.url}/stacks/{name}")
    tasks = page.locator("#stack-live table.tasks tbody tr", has_text=f"{name}_app")
    expect(tasks).to_have_count(1, timeout=60000)
    mark(page)
    ok(docker("service", "scale", "--detach", f"{name}_app=2"))
    expect(page.locator("#stack-live")).to_contain_text("/2", timeout=LIVE)
    expect(tasks).to_have_count(2, timeout=60000)
    assert not_reloaded(page)
    shot(page, "live-08-stack-page-scaled-by-cli")


def test_events_page_shows_a_container_start_live_and_filters_by_type(
    live, page, janitor, engine, busybox_image
):
    log_in(page, live.url, "viewer")
    page.goto(live.url + "/events?type=container")
    expect(page.locator("#events-status")).to_have_text("following the engine's events")
    name = janitor.name("evpage")
    network = janitor.name("evnet")
    engine.networks.create(network)  # not a container: the filter leaves it out
    engine.containers.run(busybox_image, ["sleep", "60"], name=name, detach=True)
    started = page.locator("#events tbody tr[data-action=start]", has_text=name)
    expect(started).to_be_visible(timeout=10000)
    link = started.locator("a")
    assert link.get_attribute("href").startswith("/containers/")
    expect(page.locator("#events tbody tr", has_text=network)).to_have_count(0)
    assert set(page.locator("#events tbody tr").evaluate_all("rows => rows.map(r => r.dataset.type)")) == {
        "container"
    }
    shot(page, "live-04-events-containers")
    # the filter form: networks only, since 5 minutes (the network made above is in the past now)
    page.uncheck("#event-filters input[value=container]")
    page.check("#event-filters input[value=network]")
    page.fill("#event-filters input[name=name]", network)
    page.select_option("#event-filters select[name=since]", "5")
    page.click("#event-filters button[type=submit]")
    created = page.locator("#events tbody tr[data-type=network][data-action=create]", has_text=network)
    expect(created).to_be_visible(timeout=10000)
    expect(page.locator("#events tbody tr[data-type=container]")).to_have_count(0)
    expect(page.locator("#events tbody tr a")).to_have_count(0)  # networks have no page: no link
    shot(page, "live-05-events-networks-since")


def test_a_secret_made_on_its_page_is_listed_never_shown_and_kept_while_used(
    live, swarm, swarm_cleanup, page, registry_busybox_image
):
    name = unique_name("sdct-pagesecret")
    log_in(page, live.url, "oper")
    page.goto(live.url + "/secrets")
    page.fill("#create-secret input[name=name]", name)
    page.fill("#create-secret textarea[name=text]", VALUE)
    page.fill("#create-secret input[name=labels]", '{"made": "<b>by the page</b>"}')
    page.click("#create-secret button[type=submit]")
    row = page.locator("#secrets tbody tr", has_text=name)
    expect(row).to_be_visible()
    expect(row.locator(".labels")).to_have_text("made=<b>by the page</b>")
    assert VALUE not in page.content()
    shot(page, "live-06-secret-created")
    secret = next(s for s in swarm.manager.secrets.list() if s.name == name)
    try:
        row.locator("a").first.click()
        expect(page.locator("h1")).to_contain_text(name)
        assert VALUE not in page.content()
        page.goto(live.url + "/secrets")
        mark(page)
        service = swarm_cleanup.service(
            registry_busybox_image,
            SLEEPER,
            name=unique_name("sdct-secretuser"),
            labels={OBJECT_LABEL: str(os.getpid())},
            secrets=[SecretReference(secret.id, name)],
            mode={"Replicated": {"Replicas": 0}},
        )
        expect(row.locator(".users")).to_have_text(service.name, timeout=LIVE)  # live: no reload
        assert not_reloaded(page)
        page.expected_failures += [  # the engine's refusal, as the browser and htmx log it
            "status of 400 (Bad Request)",
            f"Error Code 400 from /api/secrets/{secret.id}?endpoint=local, [object HTMLButtonElement]",
        ]
        page.once("dialog", lambda d: d.accept())
        row.locator("button", has_text="remove").click()
        expect(page.locator("#flash")).to_contain_text(service.name)
        expect(page.locator("#flash")).to_contain_text("in use")
        assert name in {s.name for s in swarm.manager.secrets.list()}
        assert VALUE not in page.content()
        shot(page, "live-07-secret-in-use-refused")
    finally:
        swarm_cleanup.cleanup()
        for s in swarm.manager.secrets.list():
            if s.name == name:
                s.remove()


def test_a_config_made_from_a_file_on_its_page_shows_its_content(live, swarm, page):
    name = unique_name("sdct-pageconfig")
    content = "server {\n  listen 80; # <i>not markup</i>\n}\n"
    log_in(page, live.url, "oper")
    page.goto(live.url + "/configs")
    try:
        page.fill("#create-config input[name=name]", name)
        page.set_input_files(
            "#create-config input[name=file]",
            files=[{"name": "site.conf", "mimeType": "text/plain", "buffer": content.encode()}],
        )
        page.click("#create-config button[type=submit]")
        row = page.locator("#configs tbody tr", has_text=name)
        expect(row).to_be_visible()
        row.locator("a").first.click()
        expect(page.locator("#config-data")).to_have_text(content)
        expect(page.locator("#object")).to_contain_text("no service")
        shot(page, "live-09-config-from-a-file")
        page.once("dialog", lambda d: d.accept())
        page.locator("button.danger", has_text="Remove").click()
        expect(page).to_have_url(live.url + "/configs")
        expect(page.locator("#configs tbody tr", has_text=name)).to_have_count(0)
    finally:
        for c in swarm.manager.configs.list():
            if c.name == name:
                c.remove()


def test_networks_and_volumes_made_on_the_engine_show_without_reload(live, page, janitor, engine):
    log_in(page, live.url, "viewer")
    network, volume = janitor.name("livenet"), janitor.name("livevol")
    page.goto(f"{live.url}/networks?q={network}&cols=labels")  # a refresh keeps the query
    mark(page)
    engine.networks.create(network, labels={"made": "<i>by the engine</i>"})
    row = page.locator("#networks tbody tr", has_text=network)
    expect(row).to_be_visible(timeout=LIVE)
    expect(row.locator(".labels")).to_have_text("made=<i>by the engine</i>")
    assert not_reloaded(page)
    shot(page, "live-10-network-made-on-the-engine")
    page.goto(f"{live.url}/volumes?q={volume}")
    mark(page)
    engine.volumes.create(volume)
    row = page.locator(f'#volumes tbody tr[data-id="{volume}"]')  # not the "none match" row
    expect(row).to_be_visible(timeout=LIVE)
    engine.volumes.get(volume).remove()
    expect(row).to_have_count(0, timeout=LIVE)
    assert not_reloaded(page)
