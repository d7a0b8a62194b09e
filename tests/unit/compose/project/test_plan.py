"""The single-host plan: names, start order, replicas, hashes, mounts and warnings (no engine)."""

from __future__ import annotations

import pytest

from swarmdeck.compose import ComposeError, load
from swarmdeck.compose.project import ProjectError, load_plan, plan_project
from swarmdeck.compose.project.names import normalize_project_name, project_name
from swarmdeck.compose.project.plan import config_hash, default_files
from tests.support.paths import REPO


def plan_of(text: str, name: str = "proj", scale: dict[str, int] | None = None, env=None):
    return plan_project(load([("docker-compose.yml", text)], env=env or {}), name, scale)


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("My App", "myapp"),
        ("friendly.hello", "friendlyhello"),
        ("__x-Y_1", "x-y_1"),
        ("Ünïcode-9", "ncode-9"),
    ],
)
def test_folder_names_are_normalised_like_compose(folder, expected):
    assert normalize_project_name(folder) == expected
    assert project_name(None, f"/srv/{folder}") == expected


@pytest.mark.parametrize("bad", ["Upper", "-dash", "a.b", ""])
def test_an_explicit_project_name_must_already_be_valid(bad):
    with pytest.raises(ProjectError, match="invalid project name"):
        project_name(bad, "/srv/app")


def test_a_folder_without_usable_characters_needs_p():
    with pytest.raises(ProjectError, match="use -p NAME"):
        project_name(None, "/srv/...")


def test_services_start_after_what_they_depend_on():
    plan = plan_of("""
services:
  a: {image: x, depends_on: [c]}
  b: {image: x}
  c: {image: x, depends_on: [b]}
""")
    assert [s.name for s in plan.services] == ["b", "c", "a"]


def test_a_dependency_cycle_is_refused():
    with pytest.raises(ProjectError, match="dependency cycle detected: a -> b -> a"):
        plan_of("services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n")


def test_an_undefined_dependency_is_refused_at_its_line():
    with pytest.raises(ComposeError) as caught:
        plan_of("services:\n  a:\n    image: x\n    depends_on:\n      - nope\n")
    assert str(caught.value).startswith("docker-compose.yml:5:9: services.a.depends_on:")
    assert 'undefined service "nope"' in str(caught.value)


def test_replicas_global_mode_and_scale():
    plan = plan_of(
        """
services:
  a: {image: x, deploy: {replicas: 3}}
  b: {image: x, deploy: {mode: global}}
  c: {image: x}
""",
        scale={"c": 4},
    )
    assert {s.name: s.replicas for s in plan.services} == {"a": 3, "b": 1, "c": 4}


def test_scale_of_an_unknown_service_is_refused():
    with pytest.raises(ProjectError, match="no such service: zz"):
        plan_of("services:\n  a: {image: x}\n", scale={"zz": 1})


def test_replicas_sharing_a_fixed_host_port_are_refused_before_anything_runs():
    text = "services:\n  web:\n    image: x\n    deploy: {replicas: 2}\n    ports:\n      - 6767:80\n"
    with pytest.raises(ComposeError) as caught:
        plan_of(text)
    assert str(caught.value).startswith("docker-compose.yml:6:9: services.web.ports: 2 replicas")
    assert plan_of(text, scale={"web": 1}).services[0].replicas == 1
    assert plan_of(text.replace("6767:80", '"80"')).services[0].replicas == 2


def test_container_name_with_several_replicas_is_refused():
    with pytest.raises(ComposeError, match="container_name"):
        plan_of("services:\n  a: {image: x, container_name: one, deploy: {replicas: 2}}\n")


def test_the_config_hash_ignores_replicas_and_build_but_not_the_environment():
    base = "services:\n  a:\n    image: x\n    environment: {A: '1'}\n    deploy: {replicas: 1}\n"
    first = plan_of(base).services[0].config_hash
    assert plan_of(base).services[0].config_hash == first
    assert plan_of(base.replace("replicas: 1", "replicas: 5")).services[0].config_hash == first
    assert plan_of(base.replace("A: '1'", "A: '2'")).services[0].config_hash != first
    assert len(first) == 64 and first == config_hash(
        load([("docker-compose.yml", base)], env={}).project.services["a"]
    )


def test_networks_and_volumes_get_project_scoped_or_declared_names():
    plan = plan_of("""
services:
  a: {image: x}
  b: {image: x, networks: [back, ext]}
networks:
  back: {}
  named: {name: exactly-this}
  ext: {external: true, name: shared-net}
volumes:
  data: {}
  keep: {name: kept-volume}
  outside: {external: true}
""")
    assert {k: n.name for k, n in plan.networks.items()} == {
        "back": "proj_back",
        "named": "exactly-this",
        "ext": "shared-net",
        "default": "proj_default",
    }
    assert plan.networks["ext"].external and not plan.networks["back"].external
    assert {k: v.name for k, v in plan.volumes.items()} == {
        "data": "proj_data",
        "keep": "kept-volume",
        "outside": "outside",
    }
    assert plan.service("a").networks == [("default", None)]
    assert [key for key, _ in plan.service("b").networks] == ["back", "ext"]


def test_no_default_network_when_no_service_uses_it():
    plan = plan_of("services:\n  a: {image: x, networks: [n]}\nnetworks:\n  n: {}\n")
    assert set(plan.networks) == {"n"}


def test_secrets_and_configs_are_bound_from_their_files(tmp_path):
    plan = plan_project(
        load(
            [
                (
                    "docker-compose.yml",
                    """
version: "3.8"
services:
  a:
    image: x
    secrets: [s, {source: s, target: other}]
    configs: [c, {source: c, target: /etc/app.conf}, {source: c, target: rel}]
secrets: {s: {file: ./s.txt}}
configs: {c: {file: conf/c.txt}}
""",
                )
            ],
            env={},
            working_dir=tmp_path,
        ),
        "p",
    )
    mounts = [(m.source, m.target) for m in plan.services[0].files]
    assert mounts == [
        (f"{tmp_path}/s.txt", "/run/secrets/s"),
        (f"{tmp_path}/s.txt", "/run/secrets/other"),
        (f"{tmp_path}/conf/c.txt", "/c"),
        (f"{tmp_path}/conf/c.txt", "/etc/app.conf"),
        (f"{tmp_path}/conf/c.txt", "/rel"),
    ]


def test_an_external_secret_is_refused_without_a_swarm():
    with pytest.raises(ComposeError, match="unsupported external secret s"):
        plan_of('version: "3.8"\nservices:\n  a: {image: x, secrets: [s]}\nsecrets:\n  s: {external: true}\n')


def test_warnings_are_compose_ups_own():
    plan = plan_of("""
services:
  web:
    image: x
    restart: always
    build: .
    links: [db]
    deploy:
      replicas: 2
      placement: {constraints: [node.role == manager]}
      update_config: {parallelism: 1}
      resources: {reservations: {cpus: "0.1", memory: 10M}}
      restart_policy: {condition: on-failure, delay: 5s}
  db: {image: x, deploy: {resources: {limits: {cpus: "0.5"}}}}
""")
    assert plan.warnings == [
        "Ignoring unsupported options: build (web), links (web)",
        "Some services use deploy keys that only a swarm applies, which will be ignored (web: "
        "deploy.placement, deploy.update_config, deploy.resources.reservations.cpus, "
        "deploy.restart_policy.delay). Use `swarmdeck stack deploy` to deploy to a swarm.",
    ]


def test_the_reports_file_warns_about_placement_only():

    file = REPO / "apps" / "friendlyhello" / "docker-compose.yml"
    plan = load_plan([str(file)], {"FRIENDLYHELLO_IMAGE": "w:1", "REDIS_IMAGE": "r:1"}, scale={"web": 1})
    assert plan.name == "friendlyhello"
    assert [w for w in plan.warnings if "deploy keys" in w] == [
        "Some services use deploy keys that only a swarm applies, which will be ignored (redis: "
        "deploy.placement). Use `swarmdeck stack deploy` to deploy to a swarm."
    ]
    assert [s.image for s in plan.services] == ["r:1", "w:1"]


def test_dotenv_of_the_project_folder_feeds_interpolation_under_the_environment(tmp_path):
    (tmp_path / ".env").write_text("IMG=from-dotenv:1\nTAG=dot\n")
    (tmp_path / "compose.yaml").write_text("services:\n  a: {image: '${IMG}', labels: {t: '${TAG}'}}\n")
    assert default_files(str(tmp_path)) == [str(tmp_path / "compose.yaml")]
    plan = load_plan(default_files(str(tmp_path)), {"TAG": "env"}, "p")
    assert plan.services[0].image == "from-dotenv:1"
    assert plan.services[0].service.labels == {"t": "env"}


def test_no_default_file_is_a_clear_error(tmp_path):
    with pytest.raises(ProjectError, match="no configuration file provided"):
        default_files(str(tmp_path))
