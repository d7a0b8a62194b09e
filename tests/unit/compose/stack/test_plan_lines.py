"""What ``stack deploy --plan`` prints for secrets and configs: create when none has the name,
update (its labels) when one has."""

from __future__ import annotations

from swarmdeck.compose.stack.convert import FileObject
from swarmdeck.compose.stack.plan import ObjectChange, Plan


def test_an_object_with_an_existing_id_is_updated_and_one_without_is_created() -> None:
    created = ObjectChange(FileObject("config", "ns_app", {"Name": "ns_app"}))
    updated = ObjectChange(FileObject("secret", "ns_key", {"Name": "ns_key"}), "k3y1d")
    assert (created.action, updated.action) == ("create", "update")
    plan = Plan("ns", objects=[created, updated])
    assert not plan.empty
    assert plan.lines() == ["create config ns_app", "update secret ns_key"]
