"""Merging several files with the docker CLI's (mergo) rules."""

import pytest

from swarmdeck.compose import ComposeError, Location, load

from .util import CORPUS


def _merged():
    return load([CORPUS / "merge-base.yml", CORPUS / "merge-override.yml"], env={}).project


def _two(base: str, override: str, env=None):
    return load([("base.yml", base), ("override.yml", override)], env=env or {}).project


def test_services_by_name_sorted_and_top_level_sections_replaced_per_key():
    project = _merged()
    assert list(project.services) == ["cache", "db", "web"]
    assert project.networks["front"].model_dump(exclude_none=True) == {"driver": "bridge"}
    assert set(project.volumes) == {"data", "other"}
    assert set(project.secrets) == {"s_a", "s_b"}


def test_scalars_lists_and_maps():
    web = _merged().services["web"]
    assert web.image == "web:2"
    assert web.command == ["serve", "--port", "80"]  # an empty list does not replace
    assert web.tty is True  # false never overrides (Go zero value)
    assert web.cap_add == ["NET_ADMIN", "SYS_TIME"]  # lists are appended
    assert web.healthcheck.test == ["CMD", "true", "CMD", "false"]  # even this one, like mergo
    assert web.healthcheck.interval == 10_000_000_000
    assert web.labels == {"tier": "api", "keep": "yes"}
    assert web.environment == {"A": "override", "B": "base", "C": "base", "D": "override"}
    assert web.ulimits["nofile"].model_dump() == {"soft": 10, "hard": 10}
    assert web.logging.model_dump() == {"driver": "json-file", "options": {"max-size": "1m", "max-file": "3"}}
    assert web.networks["front"].model_dump(exclude_none=True) == {
        "aliases": ["a2"],
        "ipv4_address": "10.0.0.2",
    }


def test_deploy_pointer_and_value_fields():
    deploy = _merged().services["web"].deploy
    assert deploy.replicas == 0  # a pointer field: set means set, even to 0
    assert deploy.resources.limits.memory_bytes == 100 << 20  # "0" bytes does not override
    assert deploy.resources.limits.nano_cpus == 500_000_000
    assert (deploy.update_config.parallelism, deploy.update_config.delay, deploy.update_config.order) == (
        2,
        5_000_000_000,
        "start-first",
    )


def test_ports_volumes_and_secrets_are_merged_by_key_and_sorted():
    web = _merged().services["web"]
    assert [(p.published, p.target) for p in web.ports] == [(8080, 8000), (8081, 81), (9090, 90)]
    assert [(v.target, v.source) for v in web.volumes] == [
        ("/conf", str(CORPUS / "conf")),
        ("/data", "other"),
    ]
    assert [(s.source, s.target) for s in web.secrets] == [("s_a", "renamed"), ("s_b", None)]


def test_a_list_only_in_the_later_file_is_taken_as_written():
    project = _two(
        "services:\n  a: {image: x}\n", "services:\n  a:\n    ports: ['9000:90', '8000:80', '8000:81']\n"
    )
    # No merge happened (the first file has no ports), so no dedupe and no sorting.
    assert [(p.published, p.target) for p in project.services["a"].ports] == [
        (9000, 90),
        (8000, 80),
        (8000, 81),
    ]


@pytest.mark.parametrize(
    ("base", "override", "expected"),
    [
        (
            "{driver: syslog, options: {a: '1'}}",
            "{options: {b: '2'}}",
            {"driver": "syslog", "options": {"a": "1", "b": "2"}},
        ),
        (
            "{driver: syslog, options: {a: '1'}}",
            "{driver: gelf, options: {b: '2'}}",
            {"driver": "gelf", "options": {"b": "2"}},
        ),
        ("{options: {a: '1'}}", "{driver: gelf}", {"driver": "gelf", "options": {"a": "1"}}),
        # mergo merges the options into a copy when the first file has none: they are lost
        ("{driver: syslog}", "{options: {b: '2'}}", {"driver": "syslog"}),
    ],
)
def test_logging_merge(base, override, expected):
    project = _two(
        f"services:\n  a:\n    image: x\n    logging: {base}\n", f"services:\n  a:\n    logging: {override}\n"
    )
    assert project.services["a"].logging.model_dump(exclude_none=True) == expected


def test_environment_pointer_rules():
    project = _two(
        "services:\n  a:\n    image: x\n    environment: [SET=1, EMPTY=, NIL]\n",
        "services:\n  a:\n    environment: [SET=, EMPTY=2, NIL=3, NEW]\n",
    )
    assert project.services["a"].environment == {"SET": "1", "EMPTY": "2", "NIL": "3", "NEW": None}


def test_init_and_durations_are_pointers():
    project = _two(
        "services:\n  a:\n    image: x\n", "services:\n  a:\n    init: false\n    stop_grace_period: 0s\n"
    )
    assert (project.services["a"].init, project.services["a"].stop_grace_period) == (False, 0)
    project = _two(
        "services:\n  a:\n    image: x\n    init: true\n    stop_grace_period: 5s\n",
        "services:\n  a:\n    init: false\n    stop_grace_period: 0s\n",
    )
    assert (project.services["a"].init, project.services["a"].stop_grace_period) == (True, 5_000_000_000)


def test_locations_follow_the_values_into_the_later_file():
    project = _two(
        "services:\n  a:\n    image: x\n    networks: [n1]\nnetworks: {n1: , n2: }\n",
        "services:\n  a:\n    image: y\n    networks: [n2]\n",
    )
    service = project.services["a"]
    assert service.key_loc("image") == Location("override.yml", 3, 5)
    assert service.entry_loc("networks", "n1") == Location("base.yml", 4, 16)
    assert service.entry_loc("networks", "n2") == Location("override.yml", 4, 16)


def test_versions_must_match():
    with pytest.raises(ComposeError) as caught:
        _two('version: "3.1"\nservices: {}\n', 'version: "3.4"\nservices: {}\n')
    assert (
        str(caught.value)
        == "override.yml:1:10: version: version mismatched between two composefiles : 3.1 and 3.4"
    )
    # A missing version is 3.13, so it matches "3.13" and "3".
    project = _two("services: {}\n", 'version: "3"\nservices: {}\n')
    assert project.version == "3.13"


def test_undefined_references_are_checked_after_merging():
    project = _two("services:\n  a:\n    image: x\n    networks: [late]\n", "networks:\n  late: {}\n")
    assert set(project.networks) == {"late"}
    with pytest.raises(ComposeError) as caught:
        _two("services:\n  a:\n    image: x\n", "services:\n  a:\n    networks: [gone]\n")
    assert str(caught.value) == 'override.yml:3:16: services.a.networks.gone: undefined network "gone"'
