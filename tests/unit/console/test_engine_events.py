"""The events page's view of an engine event (``api.events.event_row``) and its name filter
(``matches``), on event documents as the engine sends them."""

from __future__ import annotations

from swarmdeck.console.api.events import event_row, matches

CONTAINER_START = {
    "Type": "container",
    "Action": "start",
    "Actor": {"ID": "c0ffee" * 10 + "beef", "Attributes": {"name": "web-1", "image": "busybox:1"}},
    "time": 1700000000,
    "timeNano": 1700000000123456789,
}
NETWORK_CREATE = {
    "Type": "network",
    "Action": "create",
    "Actor": {"ID": "abc123", "Attributes": {"name": "front", "type": "bridge"}},
    "time": 1700000001,
}


def test_a_container_event_names_its_object_and_image():
    row = event_row(CONTAINER_START)
    assert row == {
        "time": 1700000000.1234567,
        "type": "container",
        "action": "start",
        "id": CONTAINER_START["Actor"]["ID"],
        "name": "web-1",
        "image": "busybox:1",
    }


def test_other_types_carry_no_image_and_fall_back_on_the_id():
    row = event_row(NETWORK_CREATE)
    assert row["image"] == "" and row["name"] == "front" and row["time"] == 1700000001.0
    nameless = event_row({"Type": "node", "Action": "update", "Actor": {"ID": "n1", "Attributes": {}}})
    assert nameless["name"] == "n1" and nameless["time"] == 0.0


def test_the_name_filter_matches_part_of_a_name_or_the_start_of_an_id():
    row = event_row(CONTAINER_START)
    assert matches(row, "")
    assert matches(row, "WEB")
    assert matches(row, "c0ffeec0")
    assert not matches(row, "beef")  # inside the ID, not its start
    assert not matches(row, "api")
