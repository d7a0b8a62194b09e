"""The swarm through the console's API on the real two-node swarm of the test bed: overview,
join tokens, node operations on node B (restored afterwards), membership refusals."""

from __future__ import annotations

import pytest

from tests.testbed.config import NODE_B_LABEL, NODE_LABEL

pytestmark = [pytest.mark.engine, pytest.mark.swarm]


def test_overview_sees_both_nodes(admin, swarm):
    view = admin.get("/api/swarm").json()
    assert view["state"] == "active" and view["is_manager"] and view["node_id"] == swarm.node_a_id
    assert view["nodes"] == 2 and view["ready"] == 2 and view["managers"] == 1
    assert view["healthy"] is (not view["problems"])
    nodes = {n["id"]: n for n in admin.get("/api/nodes").json()}
    a, b = nodes[swarm.node_a_id], nodes[swarm.node_b_id]
    assert (a["role"], a["leader"], b["role"]) == ("manager", True, "worker")
    assert b["addr"] == swarm.addr_b and a["addr"] == swarm.addr_a
    assert b["labels"][NODE_LABEL] == NODE_B_LABEL and b["hostname"] == swarm.node_b_hostname
    engine_version = swarm.worker.version()["Version"]
    assert b["engine_version"] == engine_version


def test_join_tokens_are_the_exact_command_and_rotate(admin, operator, swarm):
    assert operator.get("/api/swarm/join-tokens").status_code == 403
    tokens = admin.get("/api/swarm/join-tokens").json()
    swarm.manager.swarm.reload()
    real = swarm.manager.swarm.attrs["JoinTokens"]
    assert tokens["worker"]["command"] == f"docker swarm join --token {real['Worker']} {swarm.manager_addr}"
    assert tokens["manager"]["command"] == f"docker swarm join --token {real['Manager']} {swarm.manager_addr}"
    # Only the manager token rotates here: the bed re-joins node B with the worker token.
    assert operator.post("/api/swarm/join-tokens/manager/rotate").status_code == 403
    rotated = admin.post("/api/swarm/join-tokens/manager/rotate")
    assert rotated.status_code == 200, rotated.text
    swarm.manager.swarm.reload()
    now = swarm.manager.swarm.attrs["JoinTokens"]
    assert now["Manager"] != real["Manager"] and now["Worker"] == real["Worker"]
    assert rotated.json()["manager"]["token"] == now["Manager"]


def test_init_and_join_refused_inside_a_swarm(admin, operator, swarm):
    assert operator.post("/api/swarm/init", json={}).status_code == 403
    refused = admin.post("/api/swarm/init", json={"advertise_addr": swarm.addr_a})
    assert refused.status_code == 409 and "already in a swarm" in refused.json()["detail"]
    joined = admin.post(
        "/api/swarm/join", json={"manager_addr": swarm.manager_addr, "token": swarm.worker_token}
    )
    assert joined.status_code == 409 and "already in a swarm" in joined.json()["detail"]
    bad = admin.post("/api/swarm/join", json={"manager_addr": "x", "token": "not a token"})
    assert bad.status_code == 422
    assert swarm.manager.info()["Swarm"]["LocalNodeState"] == "active"


@pytest.fixture
def node_b_restored(swarm):
    yield swarm.node_b_id
    node = swarm.manager.nodes.get(swarm.node_b_id)
    spec = node.attrs["Spec"]
    wanted = dict(spec, Role="worker", Availability="active", Labels={NODE_LABEL: NODE_B_LABEL})
    if wanted != spec:
        node.update(wanted)


def _spec(swarm, node_id):
    return swarm.manager.nodes.get(node_id).attrs["Spec"]


def test_drain_pause_activate_and_labels_on_node_b(admin, operator, viewer, swarm, node_b_restored, app):
    b = node_b_restored
    assert viewer.post(f"/api/nodes/{b}/drain").status_code == 403
    for action, availability in (("drain", "drain"), ("pause", "pause"), ("activate", "active")):
        answer = operator.post(f"/api/nodes/{b}/{action}")
        assert answer.status_code == 200, answer.text
        assert answer.json()["availability"] == availability == _spec(swarm, b)["Availability"]
    labels = {NODE_LABEL: NODE_B_LABEL, "zone": "<b>east</b>"}
    assert operator.put(f"/api/nodes/{b}/labels", json={"labels": labels}).json()["labels"] == labels
    assert _spec(swarm, b)["Labels"] == labels
    page = viewer.get(f"/swarm/nodes/{b}")
    assert page.status_code == 200 and "&lt;b&gt;east&lt;/b&gt;" in page.text and "<b>east" not in page.text
    assert f"/api/nodes/{b}/drain" not in page.text  # no buttons for read-only users
    form = operator.get(f"/swarm/nodes/{b}").text  # the labels form holds them as JSON, escaped
    assert """value='{"testbed": "nodeb", "zone": "\\u003cb\\u003eeast\\u003c/b\\u003e"}'""" in form
    entries = [(e.action, e.result, e.target) for e in app.state.console.store.list_audit(limit=50)[0]]
    assert ("node.drain", "ok", b) in entries and ("node.labels", "ok", f"{b}: testbed, zone") in entries


def test_promote_and_demote_need_an_admin(operator, swarm, app):
    """Refused before the engine is asked. (Promoting node B for real is left out: it joins
    the raft group only ~30 s later, and meanwhile the bed's two-manager quorum is fragile.)"""
    for action in ("promote", "demote"):
        refused = operator.post(f"/api/nodes/{swarm.node_b_id}/{action}")
        assert refused.status_code == 403 and "needs admin" in refused.json()["detail"]
    assert _spec(swarm, swarm.node_b_id)["Role"] == "worker"
    denied = [e.action for e in app.state.console.store.list_audit(limit=20)[0] if e.result == "denied"]
    assert denied.count("node.promote") == denied.count("node.demote") == 1


def test_node_a_is_never_demoted_nor_removed(admin, swarm):
    demote = admin.post(f"/api/nodes/{swarm.node_a_id}/demote")
    assert demote.status_code == 409 and "only manager" in demote.json()["detail"]
    remove = admin.delete(f"/api/nodes/{swarm.node_a_id}?force=true")
    assert remove.status_code == 409
    assert _spec(swarm, swarm.node_a_id)["Role"] == "manager"
    missing = admin.post("/api/nodes/nosuchnode/drain")
    assert missing.status_code == 404


def test_swarm_page_shows_nodes_tokens_to_admins_only(admin, viewer, swarm):
    page = admin.get("/swarm")
    assert page.status_code == 200 and swarm.node_b_id in page.text
    assert "docker swarm join --token SWMTKN-" in page.text
    assert 'data-swarm-map="/api/swarm/map/stream"' in page.text
    seen = viewer.get("/swarm")
    assert seen.status_code == 200 and swarm.node_b_id in seen.text and "SWMTKN-" not in seen.text
