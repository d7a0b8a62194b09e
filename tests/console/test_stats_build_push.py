"""Container stats, image push to the test bed's TLS registry and builds from an uploaded
context, through the console's API and pages, against the real engine and registry."""

from __future__ import annotations

from .test_resources import run


def test_stats_of_a_busy_container(operator, janitor, busybox_image):
    name = janitor.name("stats")
    row = run(operator, busybox_image, name, memory="32m", cpus=0.5,
              command=["sh", "-c", "while :; do :; done"])
    stats = operator.get(f"/api/containers/{name}/stats")
    assert stats.status_code == 200, stats.text
    s = stats.json()
    assert s["running"] is True and s["id"] == row["id"] and s["name"] == name
    assert 20 <= s["cpu_percent"] <= 80, s  # a busy loop held to half a CPU
    assert s["memory_limit"] == 32 * 1024 * 1024 and 0 < s["memory_usage"] < s["memory_limit"]
    assert s["pids"] >= 2 and s["net_rx"] >= 0 and s["block_read"] >= 0
    fragment = operator.get(f"/containers/{name}/stats")
    assert fragment.status_code == 200 and 'data-stat="cpu"' in fragment.text
    assert "/ 33.6 MB (" in fragment.text
    assert f'hx-get="/containers/{row["id"]}/stats"' in operator.get(f"/containers/{name}").text


def test_stats_of_a_stopped_and_a_missing_container(viewer, operator, janitor, busybox_image):
    name = janitor.name("idle")
    run(operator, busybox_image, name, start=False)
    assert viewer.get(f"/api/containers/{name}/stats").json() == {
        "id": janitor.engine.containers.get(name).id, "name": name, "running": False}
    assert "is not running" in viewer.get(f"/containers/{name}/stats").text
    missing = viewer.get("/api/containers/sdct-none/stats")
    assert missing.status_code == 404 and "sdct-none" in missing.json()["detail"]
