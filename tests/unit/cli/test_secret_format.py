"""The docker CLI's secret and config output, from views and documents (no engine)."""

from __future__ import annotations

import json

import pytest

from swarmdeck.cli.failing import Refused
from swarmdeck.cli.secret_cmds import _stamp, check_format, ls_lines, pairs, pretty
from swarmdeck.swarm.objects import ObjectView, users_of, view

DOC = {
    "ID": "f8ob3es0xwwxqg5ip9144dt0x",
    "CreatedAt": "2026-12-07T13:36:07.009481690Z",
    "UpdatedAt": "2026-12-07T13:36:07Z",
    "Spec": {"Name": "app_key", "Labels": {"b": "2", "a": "1"}, "Data": "aGkK"},
}


def test_view_reads_size_and_labels():
    got: ObjectView = view("config", DOC)
    assert (got["name"], got["size"], got["labels"], got["driver"]) == (
        "app_key",
        3,
        {"a": "1", "b": "2"},
        "",
    )


def test_secret_table_has_dockers_columns_and_widths():
    got = ls_lines("secret", [view("secret", DOC)], quiet=False, form=None)
    assert got[0].split() == ["ID", "NAME", "DRIVER", "CREATED", "UPDATED"]
    assert got[0].startswith("ID" + " " * 26 + "NAME")
    assert got[1].startswith("f8ob3es0xwwxqg5ip9144dt0x   app_key   ")


def test_config_table_has_no_driver_and_quiet_is_ids():
    assert ls_lines("config", [view("config", DOC)], False, None)[0].split() == [
        "ID",
        "NAME",
        "CREATED",
        "UPDATED",
    ]
    assert ls_lines("config", [view("config", DOC)], True, None) == [DOC["ID"]]


def test_json_lines_carry_dockers_keys():
    row = json.loads(ls_lines("secret", [view("secret", DOC)], False, "json")[0])
    assert list(row) == ["CreatedAt", "Driver", "ID", "Labels", "Name", "UpdatedAt"]
    assert row["Labels"] == "a=1,b=2"
    assert "Driver" not in json.loads(ls_lines("config", [view("config", DOC)], False, "json")[0])


def test_stamps_print_as_go_prints_a_time():
    assert _stamp("2026-12-07T13:36:07.009481690Z") == "2026-12-07 13:36:07.00948169 +0000 utc"
    assert _stamp("2026-12-07T13:36:07Z") == "2026-12-07 13:36:07 +0000 utc"


def test_pretty_config_shows_its_data():
    got = pretty("config", DOC)
    assert got[-2:] == ["Data:", "hi\n"] and " - a=1" in got


def test_bad_options_are_refused():
    with pytest.raises(Refused):
        check_format("yaml")
    with pytest.raises(Refused):
        pairs(["novalue"], "--filter")
    assert pairs(["name=a", "name=b"], "--filter") == {"name": ["a", "b"]}


def test_users_are_the_services_referencing_the_id():
    def service(name: str, *ids: str) -> dict:
        refs = [{"SecretID": i, "SecretName": "x"} for i in ids]
        return {"Spec": {"Name": name, "TaskTemplate": {"ContainerSpec": {"Secrets": refs}}}}

    found = [service("web", "s1"), service("db", "s2", "s1"), service("cache")]
    assert users_of(found, "secret", "s1") == ["db", "web"]
    assert users_of(found, "config", "s1") == []


def test_ages_are_worded_as_the_docker_cli_words_them():
    from swarmdeck.swarm.stack_tables import human_duration

    cases = {
        0.4: "Less than a second",
        1.2: "1 second",
        59: "59 seconds",
        90: "About a minute",
        125: "2 minutes",
        3600: "About an hour",
        5 * 3600: "5 hours",
        3 * 86400: "3 days",
        20 * 86400: "2 weeks",
        90 * 86400: "3 months",
        800 * 86400: "2 years",
    }
    assert {s: human_duration(s) for s in cases} == cases


def test_go_templates_of_the_rows_fields():
    found = [view("secret", DOC)]
    assert ls_lines("secret", found, False, "{{.ID}} {{ .Name }}") == [f"{DOC['ID']} app_key"]
    assert ls_lines("config", found, False, r"{{.Name}}\t{{.Labels}}") == ["app_key\ta=1,b=2"]
    assert json.loads(ls_lines("secret", found, False, "{{json .}}")[0])["Name"] == "app_key"
    for bad in ("{{.Nope}}", "{{.Name", "plain", "{{range .}}"):
        with pytest.raises(Refused):
            check_format(bad, "secret")
    with pytest.raises(Refused):
        check_format("{{.Driver}}", "config")  # a config has no driver
    check_format("{{.Driver}}", "secret")
