"""``--format`` as every list command reads it (cli/formats.py)."""

from __future__ import annotations

import pytest

from swarmdeck.cli import formats
from swarmdeck.cli.failing import Refused

ROWS = [{"ID": "a1", "Name": "web", "Self": True}, {"ID": "b2", "Name": "<db>", "Self": False}]


def test_quiet_table_json_and_templates():
    table = lambda: ["ID   NAME", "a1   web"]  # noqa: E731
    assert formats.lines(ROWS, None, True, table) == ["a1", "b2"]
    assert formats.lines(ROWS, "table", False, table) == table()
    assert formats.lines(ROWS, "json", False, table) == [
        '{"ID":"a1","Name":"web","Self":true}',
        '{"ID":"b2","Name":"\\u003cdb\\u003e","Self":false}',
    ]
    assert formats.lines(ROWS, "table {{.Name}}\\t{{.Self}}", False, table) == ["web\ttrue", "<db>\tfalse"]
    assert formats.lines(ROWS[:1], "{{json .}}", False, table) == ['{"ID":"a1","Name":"web","Self":true}']


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ("{{.Nope}}", "can't evaluate field Nope"),
        ("{{range .}}x{{end}}", "only table, json"),
        ("yaml", "only table, json"),
    ],
)
def test_what_cannot_be_filled_is_refused(form, message):
    with pytest.raises(Refused, match=message):
        formats.check(form, ["ID", "Name", "Self"])
    formats.check("{{.ID}} {{json .}}", ["ID"])  # fine
