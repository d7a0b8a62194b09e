"""Container stats, image push to the test bed's TLS registry and builds from an uploaded
context, through the console's API and pages, against the real engine and registry."""

from __future__ import annotations

import io
import tarfile

from tests.support.api import audit_results, run, sse_events
from tests.support.console import PREFIX


def test_stats_of_a_busy_container(operator, janitor, busybox_image):
    name = janitor.name("stats")
    row = run(
        operator, busybox_image, name, memory="32m", cpus=0.5, command=["sh", "-c", "while :; do :; done"]
    )
    stats = operator.get(f"/api/containers/{name}/stats")
    assert stats.status_code == 200, stats.text
    s = stats.json()
    assert s["running"] is True and s["id"] == row["id"] and s["name"] == name
    assert 5 <= s["cpu_percent"] <= 65, s  # a busy loop held to half a CPU (an idle one shows ~0)
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
        "id": janitor.engine.containers.get(name).id,
        "name": name,
        "running": False,
    }
    assert "is not running" in viewer.get(f"/containers/{name}/stats").text
    missing = viewer.get("/api/containers/sdct-none/stats")
    assert missing.status_code == 404 and "sdct-none" in missing.json()["detail"]


def context_tar(files: dict[str, str], gzipped: bool = False) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gzipped else "w") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def build(client, tag, context, **fields):
    return client.post(
        "/api/images/build",
        data={"tag": tag, **fields},
        files={"context": ("context.tar", context, "application/x-tar")},
    )


def test_push_to_the_tls_registry_streams_progress(operator, admin, janitor, engine, busybox_image, registry):
    reference = f"{registry.address}/{PREFIX}/pushed:1"
    tagged = operator.post("/api/images/tag", json={"source": busybox_image, "target": reference})
    assert tagged.status_code == 201
    answer = operator.post("/api/images/push", json={"reference": reference})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    events = sse_events(answer.text)
    name, done = events[-1]
    assert name == "done" and done["reference"] == reference and done["digest"].startswith("sha256:")
    layers = [d for n, d in events if n == "progress" and d["id"]]  # Pushed, Mounted from ..., ...
    assert layers and all(d["status"] for d in layers), events
    with registry.client() as reg:
        manifest = reg.head(
            f"/v2/{PREFIX}/pushed/manifests/1",
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        )
    assert manifest.status_code == 200 and manifest.headers["docker-content-digest"] == done["digest"]
    missing = operator.post("/api/images/push", json={"reference": f"{registry.address}/{PREFIX}/none:1"})
    assert missing.status_code == 404 and "no such image" in missing.json()["detail"].lower()
    refused = f"127.0.0.1:1/{PREFIX}/nowhere:1"  # nothing listens there: refused in the stream
    operator.post("/api/images/tag", json={"source": busybox_image, "target": refused})
    failed = sse_events(operator.post("/api/images/push", json={"reference": refused}).text)
    assert failed[-1][0] == "error" and failed[-1][1]["message"].startswith(f"pushing {refused} failed: ")
    assert [r for _, r in audit_results(admin, "image.push")][::-1] == [
        "ok",
        f"error: {missing.json()['detail']}",
        f"error: {failed[-1][1]['message']}",
    ]


def test_build_from_an_uploaded_context_streams_output(operator, admin, janitor, engine, busybox_image):
    tag = f"{PREFIX}/built:1"
    dockerfile = f"FROM {busybox_image}\nCOPY note.txt /note.txt\nRUN echo 'built <b>here</b> {PREFIX}'\n"
    for gzipped in (False, True):
        answer = build(operator, tag, context_tar({"Dockerfile": dockerfile, "note.txt": "hello"}, gzipped))
        assert answer.status_code == 200, answer.text
        events = sse_events(answer.text)
        lines = [d["status"] for n, d in events if n == "progress"]
        assert any(line.startswith("Step 1/3 : FROM") for line in lines), lines
        if not gzipped:  # the second build comes from the cache: no RUN output
            assert f"built <b>here</b> {PREFIX}" in lines
        name, done = events[-1]
        assert name == "done" and done["reference"] == tag and done["id"] == engine.images.get(tag).id
    container = engine.containers.create(tag, name=janitor.name("built"))  # never started
    chunks, _ = container.get_archive("/note.txt")
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as copied:
        assert copied.extractfile("note.txt").read() == b"hello"
    only_from = context_tar({"build/Containerfile": f"FROM {busybox_image}\n"})
    other = build(operator, f"{PREFIX}/built:2", only_from, dockerfile="build/Containerfile")
    assert sse_events(other.text)[-1][0] == "done"


def test_bad_builds_are_one_error_and_leave_no_image(operator, admin, janitor, engine, busybox_image):
    tag = f"{PREFIX}/broken:1"
    failing = build(operator, tag, context_tar({"Dockerfile": f"FROM {busybox_image}\nRUN exit 3\n"}))
    name, error = sse_events(failing.text)[-1]
    assert name == "error" and error["message"].startswith(f"building {tag} failed: ")
    assert "non-zero code: 3" in error["message"]
    for context, fields, words in [
        (b"not a tar at all", {}, "not a tar archive"),
        (context_tar({"README": "x"}), {}, "has no Dockerfile"),
        (context_tar({"Dockerfile": "FROM x"}), {"dockerfile": "../Dockerfile"}, "relative path"),
        (context_tar({"Dockerfile": "FROM x"}), {"tag": "Bad Tag!"}, "not an image reference"),
    ]:
        answer = build(operator, fields.pop("tag", tag), context, **fields)
        assert answer.status_code == 400 and words in answer.json()["detail"], answer.text
    missing_file = operator.post("/api/images/build", data={"tag": tag})
    assert missing_file.status_code == 422 and "context" in missing_file.json()["detail"]
    assert not [i for i in engine.images.list() if tag in i.tags]
    results = [r for _, r in audit_results(admin, "image.build")]
    assert len(results) == 5 and all(r.startswith("error: ") for r in results)
