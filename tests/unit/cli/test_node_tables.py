"""`swarmdeck node ls|inspect --pretty` and `swarm update`'s input, formatted as the docker CLI
does, without an engine."""

import pytest

from swarmdeck.cli import formats
from swarmdeck.cli.node_cmds import node_update
from swarmdeck.swarm import node_tables
from swarmdeck.swarm.errors import InvalidAction
from swarmdeck.swarm.membership import parse_duration
from swarmdeck.swarm.node_tables import FIELDS
from swarmdeck.swarm.views import apply_node_update


def _node(node_id, hostname, role="worker", state="ready", leader=False, root="R"):
    attrs = {
        "ID": node_id,
        "CreatedAt": "2026-12-07T13:00:28.014782670Z",
        "Spec": {"Role": role, "Availability": "active", "Labels": {"testbed": hostname}},
        "Status": {"State": state, "Addr": "10.0.0.1"},
        "Description": {
            "Hostname": hostname,
            "Platform": {"OS": "linux", "Architecture": "x86_64"},
            "Resources": {"NanoCPUs": 2_000_000_000, "MemoryBytes": 25276182528},
            "Engine": {
                "EngineVersion": "20.10.24",
                "Plugins": [
                    {"Type": "Volume", "Name": "local"},
                    {"Type": "Network", "Name": "overlay"},
                    {"Type": "Network", "Name": "bridge"},
                ],
            },
            "TLSInfo": {"TrustRoot": root, "CertIssuerSubject": "SUBJ", "CertIssuerPublicKey": "KEY"},
        },
    }
    if role == "manager":
        attrs["ManagerStatus"] = {"Leader": leader, "Reachability": "reachable", "Addr": "10.0.0.1:2377"}
    return attrs


def test_ls_table_marks_the_current_node_and_sorts_by_hostname_naturally():
    rows = node_tables.sorted_rows(
        [
            node_tables.node_row(_node("aaa", "node10", "manager", leader=True), "aaa", "R"),
            node_tables.node_row(_node("bbb", "node2", "manager"), "aaa", "R"),
            node_tables.node_row(_node("ccc", "node3", state="down"), "aaa", "OLD"),
        ]
    )
    assert node_tables.ls_lines(rows) == [
        "ID        HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION",
        "bbb       node2      Ready     Active         Reachable        20.10.24",
        "ccc       node3      Down      Active                          20.10.24",
        "aaa *     node10     Ready     Active         Leader           20.10.24",
    ]
    assert [r["TLSStatus"] for r in rows] == ["Ready", "Needs Rotation", "Ready"]
    assert rows[2]["Self"] and not rows[0]["Self"]


def test_template_fields_and_unknown_field():
    row = node_tables.node_row(_node("aaa", "vm", "manager", leader=True), "aaa", "R")
    assert formats.fill("{{.ID}}\\t{{ .Self }} {{.ManagerStatus}}", row) == "aaa\ttrue Leader"
    with pytest.raises(Exception, match="can't evaluate field Nope"):
        formats.check("{{.Nope}}", FIELDS)


def test_filters_are_checked_before_the_engine_is_asked():
    assert node_tables.node_filters(["role=manager", "label=a", "role=worker"]) == {
        "role": ["manager", "worker"],
        "label": ["a"],
    }
    with pytest.raises(InvalidAction, match="invalid filter 'colour'"):
        node_tables.node_filters(["colour=red"])
    with pytest.raises(InvalidAction, match="expected name=value"):
        node_tables.node_filters(["role"])


def test_pretty_inspect_as_the_docker_cli():
    text = node_tables.pretty(_node("aaa", "vm", "manager", leader=True))
    assert text.splitlines()[:8] == [
        "ID:\t\t\taaa",
        "Labels:",
        " - testbed=vm",
        "Hostname:              \tvm",
        "Joined at:             \t2026-12-07 13:00:28.01478267 +0000 utc",
        "Status:",
        " State:\t\t\tReady",
        " Availability:         \tActive",
    ]
    assert " Leader:\t\tYes" in text and " Raft Status:\t\tReachable" in text
    assert " CPUs:\t\t\t2" in text and " Memory:\t\t23.54GiB" in text
    assert " Network:\t\tbridge, overlay" in text.splitlines()
    assert not text.endswith("\n")


def test_node_update_options_and_labels():
    change = node_update("drain", None, ["a=1", "flag"], ["old"])
    assert change == {"availability": "drain", "label_add": {"a": "1", "flag": ""}, "label_rm": ["old"]}
    spec = {"Availability": "active", "Labels": {"old": "x"}}
    apply_node_update(spec, change)
    assert spec == {"Availability": "drain", "Labels": {"a": "1", "flag": ""}}
    with pytest.raises(InvalidAction, match="key nope doesn't exist in node's labels"):
        apply_node_update({"Labels": {}}, {"label_rm": ["nope"]})
    with pytest.raises(InvalidAction, match="invalid availability 'asleep'"):
        apply_node_update({}, {"availability": "asleep"})


def test_go_durations():
    assert parse_duration("5s") == 5 * 10**9
    assert parse_duration("1m30s") == 90 * 10**9
    assert parse_duration("2160h0m0s") == 7776000000000000
    assert parse_duration("1.5ms") == 1_500_000
    assert parse_duration("0") == 0
    for bad in ("", "5", "5x", "s"):
        with pytest.raises(InvalidAction, match="invalid duration"):
            parse_duration(bad)
