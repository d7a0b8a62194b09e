"""The workload policy's rules on the Engine API's bodies, the compose mappings that put its
refusals at their file, line and key, and the stored allowed host paths (no engine needed:
the attack replays against a real console and engine are tests/security/)."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from swarmdeck.compose import ComposeError, load
from swarmdeck.compose.project import plan_project
from swarmdeck.compose.project import policy as project_policy
from swarmdeck.compose.stack import convert
from swarmdeck.compose.stack import policy as stack_policy
from swarmdeck.engine.policy import (
    ALLOW_ALL,
    NO_FACTS,
    Facts,
    WorkloadPolicy,
    describe_container,
    describe_service,
    format_path,
    normalise_host_path,
    restricted,
    within,
)
from swarmdeck.store import Invalid, Store
from swarmdeck.store.workloads import WorkloadSettings

OPERATOR = restricted()
HOST_NETWORK = {"Id": "f46cb965b96b0123456789abcdef", "Name": "host", "Driver": "host"}
FACTS = Facts(
    networks=({"Id": "39dd9487a52c", "Name": "bridge", "Driver": "bridge"}, HOST_NETWORK),
    volumes={"hostroot": ("local", {"type": "none", "o": "bind", "device": "/"}), "plain": ("local", {})},
)


def container(**host: object) -> dict[str, object]:
    return {"Image": "busybox", "HostConfig": host}


def paths(violations) -> list[str]:
    return [format_path(v.path) for v in violations]


# --- host paths -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("/srv/data/", "/srv/data"),
        ("/srv/data/../database", "/srv/database"),
        ("//etc//", "/etc"),
        ("/srv/./data/x/..", "/srv/data"),
        ("/", "/"),
        ("/..", "/"),
    ],
)
def test_host_paths_are_normalised_as_text(given, normal):
    assert normalise_host_path(given) == normal


@pytest.mark.parametrize("given", ["srv/data", "", "./x", "~/x", "/a\x00b"])
def test_only_absolute_host_paths(given):
    with pytest.raises(ValueError):
        normalise_host_path(given)


def test_a_prefix_allows_itself_and_below_not_its_neighbours():
    assert within("/srv/data", "/srv/data") and within("/srv/data/x/y", "/srv/data")
    assert not within("/srv/database", "/srv/data") and not within("/srv", "/srv/data")


def test_allowed_prefixes_let_binds_under_them_only():
    policy = restricted(["/srv/data/"])
    assert policy.container(container(Binds=["/srv/data:/d:rw", "/srv/data/x/:/x:ro"])) == []
    refused = policy.container(container(Binds=["/srv/database:/d:rw", "/srv/data/../etc:/e:rw"]))
    assert paths(refused) == ["HostConfig.Binds[0]", "HostConfig.Binds[1]"]
    assert "/srv/database" in refused[0].message and "/srv/etc" in refused[1].message
    assert "operators may bind under /srv/data" in refused[0].message


@pytest.mark.parametrize(
    "source",
    [
        "/",
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/var/run/",
        "/run",
        "/var//run/../run/docker.sock",
        "/var/lib/docker/volumes",
        "/srv/data/engine.sock",
    ],
)
def test_the_engine_is_never_bindable_whatever_is_allowed(source):
    policy = restricted(["/", "/var", "/run", "/srv/data"])
    [refused] = policy.container(container(Mounts=[{"Type": "bind", "Source": source, "Target": "/x"}]))
    assert refused.path == ("HostConfig", "Mounts", 0, "Source")
    assert "never allowed" in refused.message


def test_binds_named_volumes_and_bad_specs():
    ok = container(Binds=["data:/data:rw", "plain:/p"])
    assert OPERATOR.container(ok, FACTS) == []
    refused = OPERATOR.container(container(Binds=["hostroot:/h:rw", "./rel:/r", "a:b:c:d"]), FACTS)
    assert paths(refused) == ["HostConfig.Binds[0]", "HostConfig.Binds[1]", "HostConfig.Binds[2]"]
    assert "the existing volume hostroot binds the host path /" in refused[0].message


# --- volumes with driver options ----------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "allowed"),
    [
        ({"type": "none", "o": "bind", "device": "/etc"}, False),
        ({"o": "rbind,ro", "device": "/home"}, False),
        ({"type": "ext4", "device": "/dev/sda1"}, False),
        ({"type": "overlay", "o": "lowerdir=/etc,upperdir=/tmp/u,workdir=/tmp/w"}, False),
        ({"type": "nfs", "o": "addr=10.0.0.2,rw", "device": ":/export"}, True),
        ({"type": "cifs", "device": "//server/share"}, True),
        ({"type": "nfs", "device": "/export"}, False),
        ({"type": "tmpfs", "device": "tmpfs", "o": "size=10m"}, True),
        ({}, True),
    ],
)
def test_volume_driver_options_that_reach_the_host(options, allowed):
    mount = {
        "Type": "volume",
        "Source": "v",
        "Target": "/v",
        "VolumeOptions": {"DriverConfig": {"Name": "local", "Options": options}},
    }
    spec = {"Name": "s", "TaskTemplate": {"ContainerSpec": {"Image": "busybox", "Mounts": [mount]}}}
    assert (OPERATOR.service(spec) == []) is allowed
    assert (OPERATOR.volume({"Name": "v", "Driver": "local", "DriverOpts": options}) == []) is allowed


def test_a_bind_volume_under_an_allowed_path_is_a_bind_there():
    options = {"type": "none", "o": "bind", "device": "/srv/data/v"}
    assert restricted(["/srv/data"]).volume({"Name": "v", "Driver": "local", "DriverOpts": options}) == []


def test_plugin_volume_drivers_only_without_options():
    assert OPERATOR.volume({"Name": "v", "Driver": "rexray", "DriverOpts": {}}) == []
    [refused] = OPERATOR.volume({"Name": "v", "Driver": "local-persist", "DriverOpts": {"mountpoint": "/"}})
    assert "plugin" in refused.message
    [refused] = OPERATOR.container(container(VolumeDriver="local-persist", Binds=["v:/v"]))
    assert refused.path == ("HostConfig", "VolumeDriver")


def test_existing_volumes_are_judged_as_they_were_made():
    mount = {"Type": "volume", "Source": "hostroot", "Target": "/h"}
    [refused] = OPERATOR.container(container(Mounts=[mount]), FACTS)
    assert refused.path == ("HostConfig", "Mounts", 0, "Source")
    assert OPERATOR.container(container(Mounts=[{**mount, "Source": "plain"}]), FACTS) == []


# --- namespaces and privileges --------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "key"),
    [
        ({"NetworkMode": "host"}, "NetworkMode"),
        ({"NetworkMode": "container:db"}, "NetworkMode"),
        ({"NetworkMode": "f46cb965"}, "NetworkMode"),  # the host network by a prefix of its ID
        ({"PidMode": "host"}, "PidMode"),
        ({"IpcMode": "container:db"}, "IpcMode"),
        ({"UTSMode": "host"}, "UTSMode"),
        ({"UsernsMode": "host"}, "UsernsMode"),
        ({"CgroupnsMode": "host"}, "CgroupnsMode"),
        ({"Privileged": True}, "Privileged"),
        ({"CapAdd": ["SYS_ADMIN"]}, "CapAdd"),
        ({"Devices": [{"PathOnHost": "/dev/sda"}]}, "Devices"),
        ({"DeviceRequests": [{"Count": -1}]}, "DeviceRequests"),
        ({"SecurityOpt": ["seccomp=unconfined"]}, "SecurityOpt"),
        ({"SecurityOpt": ["apparmor=unconfined"]}, "SecurityOpt"),
        ({"SecurityOpt": ["label=disable"]}, "SecurityOpt"),
        ({"Sysctls": {"kernel.core_pattern": "|/x"}}, "Sysctls.kernel.core_pattern"),
        ({"VolumesFrom": ["console"]}, "VolumesFrom"),
        ({"Runtime": "runsc-host"}, "Runtime"),
        ({"CgroupParent": "/system.slice"}, "CgroupParent"),
        ({"OomScoreAdj": -1000}, "OomScoreAdj"),
        ({"MaskedPaths": []}, "MaskedPaths"),
        ({"InitPath": "/usr/bin/x"}, "InitPath"),
        ({"SomethingNew": {"a": 1}}, "SomethingNew"),
    ],
)
def test_container_host_reach_is_refused_for_operators(host, key):
    body = container(**host)
    [refused] = OPERATOR.container(body, FACTS)
    assert format_path(refused.path) == f"HostConfig.{key}"
    assert ALLOW_ALL.container(body, FACTS) == []


def test_harmless_container_settings_pass():
    body = container(
        NetworkMode="bridge",
        PortBindings={"80/tcp": [{"HostPort": "8080"}]},
        Memory=10**8,
        SecurityOpt=["no-new-privileges"],
        Sysctls={"net.core.somaxconn": "1024", "kernel.shmmax": "1"},
        CapDrop=["ALL"],
        RestartPolicy={"Name": "always"},
        Init=True,
        Tmpfs={"/t": ""},
    )
    body["NetworkingConfig"] = {"EndpointsConfig": {"bridge": {}}}
    assert OPERATOR.container(body, FACTS) == []


def test_networking_config_host_is_refused():
    body = {"HostConfig": {}, "NetworkingConfig": {"EndpointsConfig": {"host": {}}}}
    assert paths(OPERATOR.container(body, FACTS)) == ["NetworkingConfig.EndpointsConfig.host"]


def test_service_specs():
    spec = {
        "Name": "s",
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "busybox",
                "CapabilityAdd": ["CAP_NET_ADMIN"],
                "Privileges": {"Seccomp": {"Mode": "unconfined"}, "NoNewPrivileges": True},
                "Sysctls": {"net.ipv4.ip_forward": "1", "vm.swappiness": "1"},
                "Mounts": [
                    {"Type": "npipe", "Source": r"\\.\pipe\docker_engine", "Target": "/p"},
                    {"Type": "tmpfs", "Target": "/t"},
                ],
            },
            "Networks": [{"Target": "backend"}, {"Target": "f46cb965b96b"}],
        },
        "Networks": [{"Target": "host"}],
    }
    assert paths(OPERATOR.service(spec, FACTS)) == [
        "TaskTemplate.Networks[1].Target",
        "Networks[0].Target",
        "TaskTemplate.ContainerSpec.Mounts[0].Type",
        "TaskTemplate.ContainerSpec.Privileges.Seccomp",
        "TaskTemplate.ContainerSpec.CapabilityAdd",
        "TaskTemplate.ContainerSpec.Sysctls.vm.swappiness",
    ]
    assert ALLOW_ALL.service(spec, FACTS) == []
    plugin = {"Name": "p", "TaskTemplate": {"PluginSpec": {"Name": "x"}, "Runtime": "plugin"}}
    assert paths(OPERATOR.service(plugin)) == ["TaskTemplate.PluginSpec", "TaskTemplate.Runtime"]


def test_host_network_lookup():
    assert FACTS.host_network("host") and FACTS.host_network("f46cb965b96b0123456789abcdef")
    assert FACTS.host_network("f46c") and not FACTS.host_network("bridge")
    assert not FACTS.host_network("39dd") and not FACTS.host_network("")
    assert NO_FACTS.host_network("host") and not NO_FACTS.host_network("f46c")


# --- stack labels -----------------------------------------------------------------------
@pytest.mark.parametrize("value", ["../users/x", "a/b", ".hidden", "", "x" * 64, "a b"])
def test_stack_labels_follow_the_stack_name_grammar(value):
    labels = {"com.docker.stack.namespace": value}
    admins = WorkloadPolicy(labels=True)
    assert paths(admins.container({"Labels": labels})) == ["Labels.com.docker.stack.namespace"]
    assert paths(admins.network({"Labels": {"com.docker.compose.project": value}})) == [
        "Labels.com.docker.compose.project"
    ]
    spec = {"TaskTemplate": {"ContainerSpec": {"Labels": labels}}, "Labels": labels}
    assert len(OPERATOR.service(spec)) == 2
    assert ALLOW_ALL.container({"Labels": labels}) == []  # the CLI names its own stacks


def test_good_stack_labels_pass():
    labels = {"com.docker.stack.namespace": "web.v2_a-b", "other": "../anything"}
    assert OPERATOR.container({"Labels": labels}) == []


# --- audit ------------------------------------------------------------------------------
def test_descriptions_name_mounts_and_capabilities():
    body = container(
        Binds=["data:/data:rw", "/srv/x:/x:ro"], CapAdd=["NET_ADMIN"], Privileged=True, NetworkMode="host"
    )
    assert describe_container(body) == (
        "mounts: vol:data:/data, bind:/srv/x:/x:ro; cap_add: NET_ADMIN; host: NetworkMode=host, privileged"
    )
    spec = {
        "TaskTemplate": {
            "ContainerSpec": {
                "CapabilityAdd": ["CAP_SYS_ADMIN"],
                "Mounts": [
                    {"Type": "bind", "Source": "/var/run/docker.sock", "Target": "/var/run/docker.sock"},
                    {"Type": "volume", "Target": "/anon"},
                ],
            }
        }
    }
    assert describe_service(spec) == (
        "mounts: bind:/var/run/docker.sock:/var/run/docker.sock, vol:/anon; cap_add: SYS_ADMIN"
    )
    assert describe_container(container()) == ""


# --- compose: refusals at their lines ---------------------------------------------------
STACK = """version: "3.8"
services:
  app:
    image: busybox
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
      - data:/data
      - /srv/data/x:/x
    cap_add: [SYS_ADMIN]
    sysctls:
      kernel.core_pattern: "|/x"
    networks: [hostnet, back]
    labels:
      com.docker.compose.project: ../users/x
    deploy:
      labels:
        com.docker.stack.namespace: ../users/y  # replaced by the stack's name: harmless
        com.docker.compose.project: ../users/w
volumes:
  data:
    driver_opts:
      type: none
      o: bind
      device: /etc
    labels:
      com.docker.compose.project: ../users/v
networks:
  hostnet:
    external: true
    name: host
  back:
    labels:
      com.docker.compose.project: ../users/z
"""


def stack_problems(text: str, policy: WorkloadPolicy) -> list[tuple[int | None, str]]:
    loaded = load([("docker-compose.yml", text)], env={})
    specs = convert.services("st", loaded.project)
    with pytest.raises(ComposeError) as refused:
        stack_policy.check(
            policy, loaded.project, "st", specs, convert.networks("st", loaded.project).create, NO_FACTS
        )
    assert all(p.file == "docker-compose.yml" for p in refused.value.problems)
    return [(p.line, p.path) for p in refused.value.problems]


def test_stack_refusals_are_at_their_compose_keys_and_lines():
    assert stack_problems(STACK, restricted(["/srv/data"])) == [
        (6, "services.app.volumes.0"),
        (9, "services.app.cap_add"),
        (11, "services.app.sysctls.kernel.core_pattern"),
        (12, "services.app.networks.hostnet"),
        (14, "services.app.labels.com.docker.compose.project"),
        (18, "services.app.deploy.labels.com.docker.compose.project"),
        (24, "volumes.data.driver_opts.device"),
        (26, "volumes.data.labels.com.docker.compose.project"),
        (33, "networks.back.labels.com.docker.compose.project"),
    ]


def test_admins_stacks_only_answer_for_their_labels():
    assert [path for _, path in stack_problems(STACK, WorkloadPolicy(labels=True))] == [
        "services.app.labels.com.docker.compose.project",
        "services.app.deploy.labels.com.docker.compose.project",
        "volumes.data.labels.com.docker.compose.project",
        "networks.back.labels.com.docker.compose.project",
    ]


PROJECT = """version: "3.8"
services:
  app:
    image: busybox
    privileged: true
    pid: host
    volumes:
      - /:/host
      - data:/data
    secrets: [token]
    networks: [hostnet]
volumes:
  data:
    driver_opts: {type: none, o: bind, device: /root}
networks:
  hostnet:
    external: true
    name: host
secrets:
  token:
    file: /etc/shadow
"""


def test_compose_up_refusals_are_at_their_compose_keys_and_lines():
    plan = plan_project(load([("compose.yml", PROJECT)], env={}), "proj")
    api = docker.APIClient(version="1.41")  # only builds request bodies here: no call is made
    with pytest.raises(ComposeError) as refused:
        project_policy.check(OPERATOR, plan, api, NO_FACTS)
    assert [(p.line, p.path) for p in refused.value.problems] == [
        (5, "services.app.privileged"),
        (6, "services.app.pid"),
        (8, "services.app.volumes.0"),
        (10, "services.app.secrets.0"),
        (11, "services.app.networks.hostnet"),
        (14, "volumes.data.driver_opts.device"),
    ]
    project_policy.check(ALLOW_ALL, plan, api, NO_FACTS)  # the CLI's own user: nothing refused


# --- the stored allowed host paths ------------------------------------------------------
def test_allowed_host_paths_are_stored_normalised(tmp_path: Path):
    store = Store(tmp_path / "data")
    try:
        settings = WorkloadSettings(store)
        assert settings.allowed_host_paths() == []
        assert settings.set_allowed_host_paths(["/srv/data/", "/srv//data", "/opt/x/../y"]) == [
            "/opt/y",
            "/srv/data",
        ]
        assert WorkloadSettings(store).allowed_host_paths() == ["/opt/y", "/srv/data"]
        for bad in ("/", "/var/run", "/run/docker.sock", "/var/lib/docker/volumes", "relative", "/a.sock"):
            with pytest.raises(Invalid):
                settings.set_allowed_host_paths(["/srv/ok", bad])
        assert settings.allowed_host_paths() == ["/opt/y", "/srv/data"]  # all or nothing
        assert settings.set_allowed_host_paths([]) == []
    finally:
        store.close()
