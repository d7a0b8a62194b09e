"""The console maps the engine's typed errors to HTTP answers once (console/errors.py): a
missing object is a 404 with the engine's words, a name taken is a 409, on the API and the
pages alike."""

from __future__ import annotations


def test_the_console_maps_the_engines_answers_once(app, operator):
    missing = "sdct-no-such-container-for-the-boundary"
    answer = operator.get(f"/api/containers/{missing}")
    assert answer.status_code == 404
    assert answer.json() == {"detail": f"container {missing}: No such container: {missing}"}
    gone = operator.delete("/api/volumes/sdct-no-such-volume-for-the-boundary")
    assert gone.status_code == 404 and "sdct-no-such-volume-for-the-boundary" in gone.json()["detail"]
    page = operator.get(f"/containers/{missing}")
    assert page.status_code == 404 and "No such container" in page.text


def test_the_console_answers_the_engines_conflict_with_409(operator, janitor, engine, busybox_image):
    name = janitor.name("boundary")
    engine.containers.create(busybox_image, name=name, command=["true"])
    answer = operator.post("/api/containers", json={"image": busybox_image, "name": name, "start": False})
    assert answer.status_code == 409, answer.text
    assert answer.json()["detail"].startswith("creating the container failed: ")
    assert name in answer.json()["detail"]
