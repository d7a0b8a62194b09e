"""Live stats charts and service logs in headless Chromium against the real engine and
two-node swarm: a busy container (a shell spinning) shows CPU > 0 plotted on its page, and
the API's figures agree with `docker stats --no-stream`; a service with a task on each node
is summed over node A's task, the page saying that node B's task is not counted; a service's
logs carry the timestamp and `docker service logs`'s task@node prefix, are searched by the
server, followed live and downloaded; a task the engine rejects shows its error. Screenshots
in artifacts/console/ (stats-01..04)."""

from __future__ import annotations

import json
import re
import time

import pytest
from docker.types import Resources
from playwright.sync_api import expect

from tests.support.browser import log_in, shot
from tests.support.cli import docker, ok
from tests.testbed import unique_name

pytestmark = [pytest.mark.engine, pytest.mark.swarm, pytest.mark.slow]
BUSY = ["sh", "-c", "while :; do :; done"]
HALF_CPU = 500_000_000  # nano-CPUs
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "kB": 1000, "MB": 1000**2, "GB": 1000**3}


def _bytes(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)\s*([A-Za-z]+)", text.strip()).groups()
    return float(number) * _UNITS[unit]


def _docker_stats(name: str) -> dict[str, float]:
    out = ok(docker("stats", "--no-stream", "--format", "{{json .}}", name))
    row = json.loads(out.strip().splitlines()[0])
    return {
        "cpu": float(row["CPUPerc"].rstrip("%")),
        "memory": _bytes(row["MemUsage"].split("/")[0]),
        "pids": float(row["PIDs"]),
    }


def test_a_busy_container_plots_cpu_and_agrees_with_docker_stats(
    live, janitor, engine, page, registry_busybox_image
):
    name = janitor.name("busy")
    # half a CPU: busy, while the machine (shared by other tests) still answers
    container = engine.containers.run(
        registry_busybox_image, BUSY, name=name, detach=True, nano_cpus=HALF_CPU
    )
    log_in(page, live.url, "viewer")
    page.goto(f"{live.url}/containers/{container.id}")
    charts = page.locator("#stats-charts")
    expect(charts.locator(".stats-chart")).to_have_count(4)
    expect(charts).to_have_attribute("data-samples", re.compile(r"^[3-9]|\d\d"), timeout=30000)
    plotted = page.evaluate("Math.max(...document.getElementById('stats-charts').statsCharts.cpu.data[1])")
    assert plotted > 5, plotted  # a spinning shell: well above idle
    expect(charts.locator("[data-stats-note]")).to_contain_text("CPU")
    shot(page, "stats-01-container-charts")

    # the API's numbers and `docker stats --no-stream`, taken one after the other
    api = live.login("viewer").get(f"/api/containers/{container.id}/stats").json()
    cli = _docker_stats(name)
    assert api["running"] is True
    assert api["cpu_percent"] > 20 and cli["cpu"] > 20, (api, cli)
    assert abs(api["cpu_percent"] - cli["cpu"]) < 20, (api, cli)  # about 50 % both, on a shared machine
    assert abs(api["memory_usage"] - cli["memory"]) <= max(1024**2, 0.2 * cli["memory"]), (api, cli)
    assert api["pids"] == cli["pids"], (api, cli)

    container.stop(timeout=1)
    stopped = live.login("viewer").get(f"/api/containers/{container.id}/stats").json()
    assert stopped == {"id": container.id, "name": name, "running": False}


def test_service_stats_are_summed_here_and_say_what_runs_elsewhere(
    live, swarm, swarm_cleanup, page, registry_busybox_image
):
    # (swarm_cleanup before page: the page closes before the service goes)
    service = swarm_cleanup.service(
        registry_busybox_image,
        BUSY,
        name=unique_name("sdct-statsvc"),
        mode={"Replicated": {"Replicas": 2}},
        maxreplicas=1,  # one task per node: one here (node A), one on node B
        resources=Resources(cpu_limit=HALF_CPU // 2),
    )
    client = live.login("viewer")
    deadline = time.monotonic() + 60
    while True:
        answer = client.get(f"/api/services/{service.id}/stats").json()
        if answer["running_tasks"] == 2 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert answer["running_tasks"] == 2, answer
    assert answer["sampled"] == 1, answer
    assert [t["node"] for t in answer["elsewhere"]] == [swarm.node_b_hostname], answer
    assert answer["cpu_percent"] > 5, answer

    log_in(page, live.url, "viewer")
    page.goto(f"{live.url}/services/{service.id}")
    charts = page.locator("#stats-charts")
    expect(charts).to_have_attribute("data-samples", re.compile(r"^[2-9]|\d\d"), timeout=30000)
    note = charts.locator("[data-stats-note]")
    expect(note).to_contain_text("1 container(s)")
    expect(note).to_contain_text(f"1 running task(s) on other nodes ({swarm.node_b_hostname})")
    expect(note).to_contain_text("not counted")
    assert page.evaluate("Math.max(...document.getElementById('stats-charts').statsCharts.cpu.data[1])") > 5
    shot(page, "stats-02-service-charts")


def test_service_logs_prefix_search_follow_download_and_task_errors(
    live, swarm, swarm_cleanup, page, registry_busybox_image
):
    talker = swarm_cleanup.service(
        registry_busybox_image,
        [
            "sh",
            "-c",
            "for i in 1 2 3; do echo line-$i; done; echo needle-here; while :; do sleep 1; echo tick; done",
        ],
        name=unique_name("sdct-logsvc"),
        mode={"Replicated": {"Replicas": 1}},
    )
    broken = swarm_cleanup.service(
        "localhost:1/sdct-no-such-image:none",
        SLEEPER,
        name=unique_name("sdct-badsvc"),
        mode={"Replicated": {"Replicas": 1}},
    )
    client = live.login("viewer")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lines = client.get(f"/api/services/{talker.id}/logs", params={"tail": 500}).json()["lines"]
        if any("needle-here" in x for x in lines):
            break
        time.sleep(1)
    # docker's own prefixes for the same lines
    theirs = ok(docker("service", "logs", "--timestamps", "--tail", "500", talker.id)).splitlines()
    ours = [x for x in lines if "line-" in x]
    assert ours and ours == [x for x in theirs if "line-" in x][: len(ours)], (ours, theirs)
    stamp, prefix = ours[0].split(" ", 2)[:2]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", stamp), ours[0]
    assert re.fullmatch(rf"{talker.name}\.1\.\w{{12}}@\S+", prefix), ours[0]
    found = client.get(f"/api/services/{talker.id}/logs", params={"tail": 500, "search": "NEEDLE"}).json()
    assert [x.split("| ", 1)[1] for x in found["lines"]] == ["needle-here"], found
    text = client.get(f"/services/{talker.id}/logs.txt", params={"search": "line-"})
    assert text.status_code == 200 and "attachment" in text.headers["content-disposition"]
    assert [x.split("| ", 1)[1] for x in text.text.splitlines()] == ["line-1", "line-2", "line-3"]

    log_in(page, live.url, "viewer")
    page.goto(f"{live.url}/services/{talker.id}")
    logs = page.locator("#service-logs")
    expect(logs).to_contain_text("@")
    expect(logs).to_contain_text("needle-here")
    page.fill("#service-log-controls input[name=search]", "tick")
    page.check("#service-log-controls input[name=follow]")
    expect(logs).to_have_attribute("data-following", "yes")
    expect(logs).not_to_contain_text("needle-here")
    count = logs.inner_text().count("tick")
    deadline = time.monotonic() + 15
    while logs.inner_text().count("tick") <= count and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert logs.inner_text().count("tick") > count  # a new line came by the followed stream
    assert "search=tick" in (page.get_attribute("#service-log-download", "href") or "")
    shot(page, "stats-03-service-logs")

    # the task the engine cannot start: its error on the service page. The testbed's swarm
    # keeps no task history, so a rejected task lives only until its replacement (the 5 s
    # restart delay): the page is loaded again until it caught one, as a user would reload.
    wanted = "No such image: localhost:1/sdct-no-such-image:none"
    deadline = time.monotonic() + 60
    shown = page.locator("[data-task-error]")
    while time.monotonic() < deadline:
        page.goto(f"{live.url}/services/{broken.id}")
        if shown.count():
            break
        page.wait_for_timeout(1000)
    expect(shown.first).to_contain_text(wanted)
    tasks = client.get("/api/tasks", params={"service": broken.id}).json()
    assert all(t["error"] in ("", wanted) for t in tasks), tasks
    shot(page, "stats-04-task-errors")
