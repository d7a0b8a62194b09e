"""Parity of `swarmdeck stack deploy` with `docker stack deploy` on the real two-node swarm.

Each corpus case is deployed by the docker CLI under one stack name, snapshotted (every
service spec, network, secret and config the engine stores, with the stack name and engine
IDs normalised), then re-deployed by swarmdeck onto the CLI's stack (which must change no
service: cross-tool no-change), removed by swarmdeck, deployed by swarmdeck under another
name, snapshotted, re-deployed (no service version may move) and removed by the docker CLI.
The snapshots and the warnings must be identical. Deploys run one after the other, so the
two stacks never compete for a published port. Services run 0 replicas where only specs
matter; images come from the test bed's registry (no Docker Hub).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import typer
from typer.testing import CliRunner

from swarmdeck.cli.stack_cmds import register
from swarmdeck.compose import ComposeError, load
from swarmdeck.compose.stack import DeployOptions, deploy
from swarmdeck.compose.stack.errors import StackError
from swarmdeck.swarm.errors import SwarmError
from swarmdeck.swarm.stacks import remove
from tests.support.paths import REPO
from tests.support.stacks import DOCKER, cli_deploy, label, left_behind
from tests.testbed import unique_name

CORPUS = Path(__file__).parent / "stack_corpus"
NOTICE = (
    "Since --detach=false was not specified, tasks will be created in the background.",
    "In a future release, --detach=false will become the default.",
)


_LOGRUS = re.compile(r'^time="[^"]*" level=warning msg="(.*)"$')


def cli_warnings(stderr: str) -> list[str]:
    """The CLI's warning lines (logrus lines reduced to their message), without the notice."""
    lines = []
    for line in stderr.splitlines():
        match = _LOGRUS.match(line)
        if match:
            line = match.group(1).replace('\\"', '"')
        if line.strip() and line not in NOTICE:
            lines.append(line)
    return lines


def our_warnings(warnings: list[str]) -> list[str]:
    """The loader's warnings as printed lines, without its extra unset-variable notices."""
    lines = []
    for warning in warnings:
        if "variable is not set" in warning:
            continue
        lines += [line for line in warning.splitlines() if line.strip()]
    return lines


def sd_deploy(
    client: docker.DockerClient, files: list[Path], ns: str, env: dict[str, str], **options: Any
) -> tuple[list[str], Any]:
    """swarmdeck's deploy: (warnings, report)."""
    loaded = load(files, env={**os.environ, **env})
    printed: list[str] = []
    report = deploy(
        client, loaded, DeployOptions(namespace=ns, **options), out=printed.append, err=printed.append
    )
    return our_warnings(loaded.warnings), report


def _rename(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {_rename(k, names): _rename(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, names) for v in value]
    if isinstance(value, str):
        if value in names:
            return names[value]
        for old, new in names.items():
            if len(old) >= 12 and old in value:
                value = value.replace(old, new)
        return value
    return value


def snapshot(client: docker.DockerClient, ns: str) -> dict[str, Any]:
    api = client.api
    names = {n["Id"]: n["Name"] for n in api.networks()}
    names.update({s["ID"]: s["Spec"]["Name"] for s in api.secrets()})
    names.update({c["ID"]: c["Spec"]["Name"] for c in api.configs()})
    names[ns] = "NS"
    services = {s["Spec"]["Name"]: _references_in_order(s["Spec"]) for s in api.services(filters=label(ns))}
    networks = {}
    for network in api.networks(filters=label(ns)):
        detail = api.inspect_network(network["Id"])
        options = {
            k: v
            for k, v in (detail.get("Options") or {}).items()
            if k != "com.docker.network.driver.overlay.vxlanid_list"
        }
        ipam = detail.get("IPAM") or {}
        networks[detail["Name"]] = {
            "Driver": detail["Driver"],
            "Scope": detail["Scope"],
            "Internal": detail["Internal"],
            "Attachable": detail["Attachable"],
            "Labels": detail.get("Labels"),
            "Options": options,
            "IPAMDriver": ipam.get("Driver"),
            "Subnets": sorted(
                c.get("Subnet", "")
                for c in ipam.get("Config") or []
                if c.get("Subnet", "").startswith("10.77.")
            ),
        }
    secrets = {s["Spec"]["Name"]: s["Spec"] for s in api.secrets(filters=label(ns))}
    configs = {c["Spec"]["Name"]: c["Spec"] for c in api.configs(filters=label(ns))}
    whole = {"services": services, "networks": networks, "secrets": secrets, "configs": configs}
    return _rename(_rename(whole, names), {f"{ns}_": "NS_", ns: "NS"})


def _references_in_order(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with its secret and config references sorted by name, then target file.

    The docker CLI sorts them by name only, after collecting them in a Go map
    (`service.ParseConfigs`/`ParseSecrets`), so two references to one config (the `full` case
    mounts `appconfig` twice) come in a random order from run to run; swarmdeck keeps the
    file's order. The order of references with the same name means nothing to the engine.
    """
    container = spec.get("TaskTemplate", {}).get("ContainerSpec", {})
    for key, name in (("Secrets", "SecretName"), ("Configs", "ConfigName")):
        if container.get(key):
            container[key] = sorted(
                container[key], key=lambda ref, name=name: (ref[name], json.dumps(ref, sort_keys=True))
            )
    return spec


def versions(client: docker.DockerClient, ns: str) -> dict[str, tuple[str, bool]]:
    """Each service's spec and whether it was ever updated (``PreviousSpec``).

    Not the version index: the swarm's allocator bumps it by itself after a create, at a
    time no wait can bound on a loaded machine. An update through the API, even one with an
    identical spec, leaves ``PreviousSpec`` behind."""
    return {
        s["Spec"]["Name"]: (json.dumps(s["Spec"], sort_keys=True), "PreviousSpec" in s)
        for s in client.api.services(filters=label(ns))
    }


def remove_and_wait(client: docker.DockerClient, ns: str, timeout: float = 60) -> None:
    """swarmdeck's ``stack rm``, then wait until nothing of the stack is left."""
    errors: list[str] = []
    try:
        remove(client, ns, out=lambda _: None, err=errors.append)
    except SwarmError as exc:
        raise AssertionError(f"{exc}: {errors}") from None
    wait_gone(client, ns, timeout)


def wait_gone(client: docker.DockerClient, ns: str, timeout: float = 60) -> None:
    """Wait until the stack's objects are gone. Finished job tasks leave their containers
    (and with them a node-local view of the stack's network) behind: they are removed."""
    deadline = time.monotonic() + timeout
    api = client.api
    while api.services(filters=label(ns)):
        assert time.monotonic() < deadline, f"stack {ns} still has services"
        time.sleep(0.3)
    for node in NODES:
        for container in node.containers.list(all=True, filters=label(ns), ignore_removed=True):
            if container.status in ("created", "exited", "dead"):
                container.remove(force=True)
    while any(
        (
            api.services(filters=label(ns)),
            api.networks(filters=label(ns)),
            api.secrets(filters=label(ns)),
            api.configs(filters=label(ns)),
        )
    ):
        assert time.monotonic() < deadline, f"stack {ns} still has objects"
        time.sleep(0.3)


pytestmark = [pytest.mark.engine, pytest.mark.swarm, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def friendlyhello(tmp_path: Path) -> list[Path]:
    """The report's own file, its published port moved to a free one (shared swarm)."""
    source = REPO / "apps/friendlyhello/docker-compose.yml"
    copy = tmp_path / "docker-compose.yml"
    copy.write_text(source.read_text().replace('"6767:80"', f'"{free_port()}:80"'))
    return [copy]


CASES = {
    "full": lambda tmp: [CORPUS / "full.yml"],
    "merge": lambda tmp: [CORPUS / "merge_base.yml", CORPUS / "merge_override.yml"],
    "newest": lambda tmp: [CORPUS / "newest.yml"],
    "interpolation": lambda tmp: [CORPUS / "interpolation.yml"],
    "jobs": lambda tmp: [CORPUS / "jobs.yml"],
    "friendlyhello": friendlyhello,
}


@pytest.fixture
def case_env(registry_busybox_image: str) -> dict[str, str]:
    return {
        "IMAGE": registry_busybox_image,
        "FRIENDLYHELLO_IMAGE": registry_busybox_image,
        "REDIS_IMAGE": registry_busybox_image,
        "GREETING": "hi there",
        "PLAIN": "plain",
        "REPLICAS": "0",
        "APP_VERSION": "1.0",
        "PUBLISHED": str(free_port()),
        "HOME_LOOKUP": "looked-up",
        "EMPTY": "filled-from-env",
    }


NODES: list[docker.DockerClient] = []  # both engines of the test bed (fixture `stacks`)


def _purge_nodes(ns: str, nodes: list[docker.DockerClient]) -> None:
    """Task containers and volumes a stack leaves on the nodes (`stack rm` keeps volumes)."""
    deadline = time.monotonic() + 30
    for node in nodes:
        while True:
            containers = node.containers.list(all=True, filters=label(ns), ignore_removed=True)
            stuck = [c for c in containers if c.status in ("created", "exited", "dead")]
            for container in stuck:
                container.remove(force=True)
            if not containers or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        for volume in node.volumes.list():
            if volume.name.startswith(f"{ns}_") or volume.name.startswith(f"{ns}-"):
                volume.remove(force=True)


@pytest.fixture
def stacks(engine: docker.DockerClient, node_b_engine: docker.DockerClient) -> Iterator[Callable[[str], str]]:
    """Stack names for a test; whatever is left of them is removed afterwards, tasks'
    containers and volumes too."""
    NODES[:] = [engine, node_b_engine]
    names: list[str] = []

    def new(prefix: str) -> str:
        names.append(unique_name(prefix))
        return names[-1]

    yield new
    for ns in names:
        if left_behind(engine, ns):
            remove_and_wait(engine, ns)
        _purge_nodes(ns, [engine, node_b_engine])


def _parity(
    engine: docker.DockerClient, stacks: Callable[[str], str], files: list[Path], env: dict[str, str]
) -> None:
    cli_ns = stacks("pcli")
    sd_ns = stacks("psd")
    run = cli_deploy(files, cli_ns, {**env, "SUFFIX": cli_ns, "VOLNAME": f"{cli_ns}-vol"})
    cli_snapshot = snapshot(engine, cli_ns)
    before = versions(engine, cli_ns)
    assert before, run.stdout
    # swarmdeck takes over the CLI's stack: nothing to change, no service version moves.
    sd_deploy(engine, files, cli_ns, {**env, "SUFFIX": cli_ns, "VOLNAME": f"{cli_ns}-vol"})
    assert versions(engine, cli_ns) == before
    remove_and_wait(engine, cli_ns)
    assert left_behind(engine, cli_ns) == []

    warnings, report = sd_deploy(engine, files, sd_ns, {**env, "SUFFIX": sd_ns, "VOLNAME": f"{sd_ns}-vol"})
    assert warnings == cli_warnings(run.stderr)
    assert snapshot(engine, sd_ns) == cli_snapshot
    created = versions(engine, sd_ns)
    _, again = sd_deploy(engine, files, sd_ns, {**env, "SUFFIX": sd_ns, "VOLNAME": f"{sd_ns}-vol"})
    assert again.updated == [] and again.created == []
    assert versions(engine, sd_ns) == created
    # The docker CLI removes swarmdeck's stack completely.
    rm = subprocess.run(
        [DOCKER, "stack", "rm", sd_ns], capture_output=True, text=True, timeout=60, check=False
    )
    assert rm.returncode == 0, rm.stderr
    wait_gone(engine, sd_ns)


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_objects_as_docker_stack_deploy(case, engine, swarm, stacks, case_env, tmp_path):
    _parity(engine, stacks, CASES[case](tmp_path), case_env)


@pytest.fixture
def external_objects(engine, swarm_cleanup) -> Iterator[dict[str, str]]:
    """A swarm-scoped network, a secret and a config that stacks declare as external."""
    network = swarm_cleanup.network()
    secret = engine.secrets.create(name=unique_name("extsecret"), data=b"outside")
    config = engine.configs.create(name=unique_name("extconfig"), data=b"outside")
    yield {"EXT_NETWORK": network.name, "EXT_SECRET": secret.name, "EXT_CONFIG": config.name}
    secret.remove()
    config.remove()


def test_external_objects_as_docker_stack_deploy(engine, swarm, stacks, case_env, external_objects):
    _parity(engine, stacks, [CORPUS / "external.yml"], {**case_env, **external_objects})


def _variant(tmp_path: Path, name: str, replicas: int, label_value: str, extra_service: bool) -> Path:
    text = f"""version: "3.8"
services:
  app:
    image: ${{IMAGE}}
    command: sleep 1000
    environment: {{LEVEL: "{label_value}"}}
    deploy: {{replicas: {replicas}, labels: {{rev: "{label_value}"}}}}
"""
    if extra_service:
        text += """  extra:
    image: ${IMAGE}
    command: sleep 1000
    deploy: {replicas: 0}
"""
    path = tmp_path / name
    path.write_text(text)
    return path


def test_each_tool_updates_the_others_stack(engine, swarm, stacks, case_env, tmp_path):
    v1 = _variant(tmp_path, "v1.yml", 0, "one", extra_service=True)
    v2 = _variant(tmp_path, "v2.yml", 0, "two", extra_service=True)
    reference, by_cli, by_sd = stacks("pref"), stacks("pcli"), stacks("psd")
    cli_deploy([v2], reference, case_env)
    # The docker CLI's stack, updated by swarmdeck; swarmdeck's, updated by the CLI.
    cli_deploy([v1], by_cli, case_env)
    _, report = sd_deploy(engine, [v2], by_cli, case_env)
    assert sorted(report.updated) == [f"{by_cli}_app"]
    assert report.unchanged == [f"{by_cli}_extra"]
    sd_deploy(engine, [v1], by_sd, case_env)
    cli_deploy([v2], by_sd, case_env)
    expected = snapshot(engine, reference)
    assert snapshot(engine, by_cli) == expected
    assert snapshot(engine, by_sd) == expected


def test_prune_removes_only_services_no_longer_in_the_file(engine, swarm, stacks, case_env, tmp_path):
    ns = stacks("pprune")
    sd_deploy(engine, [_variant(tmp_path, "both.yml", 0, "x", extra_service=True)], ns, case_env)
    smaller = _variant(tmp_path, "one.yml", 0, "x", extra_service=False)
    _, kept = sd_deploy(engine, [smaller], ns, case_env)
    assert sorted(versions(engine, ns)) == [f"{ns}_app", f"{ns}_extra"]
    assert kept.plan.prune == []
    _, pruned = sd_deploy(engine, [smaller], ns, case_env, prune=True)
    assert [c.name for c in pruned.plan.prune] == [f"{ns}_extra"]
    assert sorted(versions(engine, ns)) == [f"{ns}_app"]


def test_plan_lists_changes_and_changes_nothing(engine, swarm, stacks, case_env, tmp_path):
    ns = stacks("pplan")
    first = _variant(tmp_path, "a.yml", 0, "one", extra_service=False)
    _, report = sd_deploy(engine, [first], ns, case_env, plan_only=True)
    assert report.plan.lines() == [f"create network {ns}_default", f"create service {ns}_app"]
    assert left_behind(engine, ns) == []
    sd_deploy(engine, [first], ns, case_env)
    before = versions(engine, ns)
    changed = _variant(tmp_path, "b.yml", 0, "two", extra_service=True)
    _, report = sd_deploy(engine, [changed], ns, case_env, plan_only=True)
    assert report.plan.lines() == [
        f"update service {ns}_app: Labels.rev, TaskTemplate.ContainerSpec.Env",
        f"create service {ns}_extra",
    ]
    assert versions(engine, ns) == before


def test_detach_false_waits_for_convergence_and_reports_task_errors(
    engine, swarm, stacks, case_env, tmp_path
):
    good = tmp_path / "good.yml"
    good.write_text("""version: "3.8"
services:
  sleeper:
    image: ${IMAGE}
    command: sleep 1000
    init: true
    deploy: {replicas: 2, endpoint_mode: dnsrr}
""")
    ns = stacks("pwait")
    _, report = sd_deploy(engine, [good], ns, case_env, detach=False, timeout=60)
    running = [t for t in engine.api.tasks(filters=label(ns)) if t["Status"]["State"] == "running"]
    assert len(running) == 2 and report.created == [f"{ns}_sleeper"]
    bad = tmp_path / "bad.yml"
    bad.write_text("""version: "3.8"
services:
  crasher:
    image: ${IMAGE}
    command: ["sh", "-c", "exit 3"]
    deploy: {replicas: 1, endpoint_mode: dnsrr, restart_policy: {condition: none}}
""")
    failing = stacks("pfail")
    with pytest.raises(StackError, match=r"(?s)crasher failed to converge.*non-zero exit \(3\)"):
        sd_deploy(engine, [bad], failing, case_env, detach=False, timeout=60)


BAD_FILES = {
    "yaml": ("services:\n  web: [unclosed\n", r"bad.yml:\d+:\d+"),
    "bridge_network": (
        "version: '3.8'\nservices:\n  web:\n    image: ${IMAGE}\n    networks: [front]\n"
        "networks:\n  front:\n    driver: bridge\n",
        r"bad.yml:8:\d+: networks.front.driver: The network \S+_front cannot be used with services",
    ),
    "undefined_network": (
        "version: '3.8'\nservices:\n  web:\n    image: ${IMAGE}\n    networks: [nowhere]\n",
        'undefined network "nowhere"',
    ),
    "undefined_secret": (
        "version: '3.8'\nservices:\n  web:\n    image: ${IMAGE}\n    secrets: [nothing]\n",
        'undefined secret "nothing"',
    ),
    "missing_image": ("version: '3.8'\nservices:\n  web:\n    command: sleep 1\n", "no image specified"),
    "forbidden": (
        "version: '3.8'\nservices:\n  web:\n    image: ${IMAGE}\n    cpu_shares: 5\n",
        "cpu_shares",
    ),
    "replicas_global": (
        "version: '3.8'\nservices:\n  web:\n    image: ${IMAGE}\n    deploy: {mode: global, replicas: 2}\n",
        "replicas can only be used with replicated",
    ),
    "required_variable": ("version: '3.8'\nservices:\n  web:\n    image: ${NOPE:?set NOPE}\n", "set NOPE"),
    "missing_secret_file": (
        "version: '3.8'\nservices:\n  web:\n    image: ${IMAGE}\n"
        "    secrets: [s]\nsecrets:\n  s: {file: ./absent.txt}\n",
        "absent.txt",
    ),
    "bad_restart": (
        "version: '3.8'\nservices:\n  web:\n    image: ${IMAGE}\n    restart: sometimes\n",
        "unknown restart policy: sometimes",
    ),
    "external_network_missing": (
        "version: '3.8'\nservices:\n  web:\n    image: ${IMAGE}\n    networks: [x]\n"
        "networks:\n  x: {external: true, name: no-such-net-4711}\n",
        'network "no-such-net-4711" is declared as external, but could not be found',
    ),
    "external_network_local": (
        "version: '3.8'\nservices:\n  web:\n    image: ${IMAGE}\n    networks: [x]\n"
        'networks:\n  x: {external: true, name: "${LOCAL_NET}"}\n',
        "is declared as external, but it is not in the right scope",
    ),
    "external_secret_missing": (
        "version: '3.8'\nservices:\n  web:\n    image: ${IMAGE}\n    secrets: [s]\n"
        "    networks: [inner]\nnetworks:\n  inner: {}\n"
        "secrets:\n  s: {external: true, name: no-such-secret-4711}\n",
        "secret not found: no-such-secret-4711",
    ),
}


@pytest.fixture
def local_network(engine) -> Iterator[str]:
    network = engine.networks.create(unique_name("sdlocal"), driver="bridge")
    yield network.name
    network.remove()


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_is_refused_and_nothing_is_created(
    case, engine, swarm, stacks, case_env, local_network, tmp_path, monkeypatch
):
    text, message = BAD_FILES[case]
    (tmp_path / "bad.yml").write_text(text)
    ns = stacks("pbad")
    for name, value in {**case_env, "LOCAL_NET": local_network}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(_stack_cli(), ["stack", "deploy", "-c", "bad.yml", ns])
    assert result.exit_code == 1
    assert re.search(message, result.output), result.output
    assert "Traceback" not in result.output
    assert left_behind(engine, ns) == []


def _stack_cli() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    return app


@pytest.mark.parametrize("mode", ["never", "changed"])
def test_resolve_image_modes_as_docker_stack_deploy(mode, engine, swarm, stacks, case_env, tmp_path):
    v1 = _variant(tmp_path, "v1.yml", 0, "one", extra_service=False)
    v2 = _variant(tmp_path, "v2.yml", 0, "two", extra_service=False)
    by_cli, by_sd = stacks("pcli"), stacks("psd")
    for ns, deploy_with in ((by_cli, "cli"), (by_sd, "sd")):
        for file in (v1, v2):
            if deploy_with == "cli":
                cli_deploy([file], ns, case_env, "--resolve-image", mode)
            else:
                sd_deploy(engine, [file], ns, case_env, resolve_image=mode)
    expected = snapshot(engine, by_cli)
    image = expected["services"]["NS_app"]["TaskTemplate"]["ContainerSpec"]["Image"]
    assert ("@sha256:" in image) == (mode == "changed")
    assert snapshot(engine, by_sd) == expected


def test_services_and_ls_print_what_the_cli_prints(engine, swarm, stacks, case_env, tmp_path):
    ns = stacks("pout")
    sd_deploy(engine, [_variant(tmp_path, "a.yml", 0, "x", extra_service=True)], ns, case_env)
    runner, app = CliRunner(), _stack_cli()
    ours = runner.invoke(app, ["stack", "services", ns])
    theirs = subprocess.run(
        [DOCKER, "stack", "services", ns], capture_output=True, text=True, check=True, timeout=30
    )
    assert ours.exit_code == 0 and ours.output == theirs.stdout
    listed = runner.invoke(app, ["stack", "ls"])
    assert listed.output.splitlines()[0].split() == ["NAME", "SERVICES"]
    assert any(line.split() == [ns, "2"] for line in listed.output.splitlines())
    tasks = runner.invoke(app, ["stack", "ps", ns])
    assert tasks.exit_code == 1 and f"nothing found in stack: {ns}" in tasks.output
    missing = runner.invoke(app, ["stack", "rm", unique_name("nothing")])
    assert missing.exit_code == 0 and "Nothing found in stack" in missing.output


def test_cli_plan_from_stdin_creates_nothing(engine, swarm, stacks, case_env, tmp_path, monkeypatch):
    ns = stacks("pstdin")
    for name, value in case_env.items():
        monkeypatch.setenv(name, value)
    text = _variant(tmp_path, "a.yml", 0, "x", extra_service=False).read_text()
    result = CliRunner().invoke(_stack_cli(), ["stack", "deploy", "-c", "-", "--plan", ns], input=text)
    assert result.exit_code == 0, result.output
    assert f"create network {ns}_default\ncreate service {ns}_app\n" in result.output
    assert left_behind(engine, ns) == []


def test_a_bridge_stack_network_is_refused_before_docker_would_leave_it_behind(
    engine, swarm, stacks, case_env, tmp_path
):
    """docker creates the local-scoped network, then the engine refuses the service and the
    network stays; swarmdeck refuses with the engine's words before creating anything."""
    text = BAD_FILES["bridge_network"][0].replace("${IMAGE}", case_env["IMAGE"])
    (tmp_path / "bad.yml").write_text(text)
    theirs, ours = stacks("pbridge"), stacks("pbridge")
    run = cli_deploy([tmp_path / "bad.yml"], theirs, {}, check=False)
    assert run.returncode != 0
    assert f"The network {theirs}_front cannot be used with services" in run.stderr, run.stderr
    assert left_behind(engine, theirs) == [f"network {theirs}_front"]  # what docker leaves
    with pytest.raises(ComposeError) as refused:
        sd_deploy(engine, [tmp_path / "bad.yml"], ours, {})
    assert f"The network {ours}_front cannot be used with services" in str(refused.value)
    assert refused.value.line == 8
    assert left_behind(engine, ours) == []


TAKEN_PORT = """version: '3.8'
services:
  a:
    image: ${IMAGE}
    command: ["sleep", "3600"]
    deploy: {replicas: 0}
  b:
    image: ${IMAGE}
    command: ["sleep", "3600"]
    deploy: {replicas: 0}
    ports: ["${PUBLISHED}:80"]
"""


def test_a_taken_port_is_refused_before_anything_is_created(
    engine, swarm, swarm_cleanup, stacks, case_env, tmp_path
):
    """docker creates the network and the services it sends before the one whose port is
    taken, then stops: a half stack. swarmdeck refuses at the port's line and creates nothing."""
    port = int(case_env["PUBLISHED"])
    holder = swarm_cleanup.service(
        case_env["IMAGE"],
        command=["sleep", "3600"],
        mode=docker.types.ServiceMode("replicated", replicas=0),
        endpoint_spec=docker.types.EndpointSpec(ports={port: 80}),
    )
    (tmp_path / "ports.yml").write_text(TAKEN_PORT)
    theirs, ours = stacks("pport"), stacks("pport")
    run = cli_deploy([tmp_path / "ports.yml"], theirs, case_env, check=False)
    assert run.returncode != 0 and f"port '{port}' is already in use" in run.stderr, run.stderr
    # docker's half stack: the network, and service a when its map order sent a before b
    assert f"network {theirs}_default" in left_behind(engine, theirs)
    with pytest.raises(ComposeError) as refused:
        sd_deploy(engine, [tmp_path / "ports.yml"], ours, case_env)
    assert f"port '{port}' (tcp) is already in use by service '{holder.name}'" in str(refused.value)
    assert refused.value.line == 11
    assert left_behind(engine, ours) == []
