"""Bad files are refused with the exact place and message, before anything else happens."""

import pytest

from swarmdeck.compose import ComposeError, load

from .util import error_of

F = "docker-compose.yml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # YAML itself
        (
            "services:\n  web:\n    image: nginx\n   ports: []\n",
            f"{F}:4:4: invalid YAML: expected <block end>, but found '<block mapping start>' "
            "(while parsing a block mapping at line 2, column 3)",
        ),
        (
            "services:\n  web:\n    image: nginx\n    image: httpd\n",
            f'{F}:4:5: services.web.image: mapping key "image" already defined at line 3',
        ),
        ("- services\n", f"{F}:1:1: top-level object must be a mapping"),
        # schema: types, unknown keys, enums
        (
            "services:\n  web:\n    image: nginx\n    deploy:\n      resources:\n        limits:\n"
            "          cpus: 0.5\n",
            f"{F}:7:17: services.web.deploy.resources.limits.cpus: must be a string",
        ),
        (
            "services:\n  web:\n    image: nginx\n    port: ['80:80']\n",
            f"{F}:4:5: services.web: Additional property port is not allowed",
        ),
        ("name: myproject\nservices: {}\n", f"{F}:1:1: Additional property name is not allowed"),
        (
            "services:\n  web:\n    image: nginx\n    environment:\n      DEBUG: true\n",
            f"{F}:5:14: services.web.environment.DEBUG: must be a string, number or null",
        ),
        (
            "services:\n  web:\n    image: nginx\n    deploy:\n      update_config: {order: random}\n",
            f"{F}:5:30: services.web.deploy.update_config.order: must be one of the following: "
            '"start-first", "stop-first"',
        ),
        ("services:\n  web: nginx\n", f"{F}:2:8: services.web: must be a mapping"),
        (
            "services:\n  my web:\n    image: nginx\n",
            f"{F}:2:3: services: Additional property my web is not allowed",
        ),
        (
            "services:\n  web:\n    image: nginx\n    volumes: [{source: a, target: /a}]\n",
            f"{F}:4:15: services.web.volumes.0: type is required",
        ),
        (
            "services:\n  web:\n    image: nginx\n    ulimits: {nofile: {soft: 1}}\n",
            f"{F}:4:23: services.web.ulimits.nofile: hard is required",
        ),
        (
            "services:\n  web:\n    image: nginx\n    cap_add: [A, B, A]\n",
            f"{F}:4:21: services.web.cap_add.2: array items[0,2] must be unique",
        ),
        # values the loader parses
        (
            "services:\n  web:\n    image: nginx\n    deploy:\n      resources:\n        limits:\n"
            "          cpus: '0.0000000001'\n",
            f"{F}:7:17: services.web.deploy.resources.limits.cpus: value is too precise",
        ),
        (
            "services:\n  web:\n    image: nginx\n    deploy:\n      resources:\n        limits:\n"
            "          memory: 1.5x\n",
            f"{F}:7:19: services.web.deploy.resources.limits.memory: invalid suffix: 'x'",
        ),
        (
            "services:\n  web:\n    image: nginx\n    healthcheck: {interval: 10}\n",
            f"{F}:4:29: services.web.healthcheck.interval: must be a string",
        ),
        (
            "services:\n  web:\n    image: nginx\n    stop_grace_period: 1d\n",
            f"{F}:4:24: services.web.stop_grace_period: Does not match format 'duration': "
            'time: unknown unit "d" in duration "1d"',
        ),
        (
            "services:\n  web:\n    image: nginx\n    ports:\n      - '80:80'\n      - '8o:80'\n",
            f"{F}:6:9: services.web.ports.1: invalid hostPort: 8o",
        ),
        (
            "services:\n  web:\n    image: nginx\n    ports:\n      - {target: 80, host_ip: x}\n",
            f"{F}:5:22: services.web.ports.0: Additional property host_ip is not allowed",
        ),
        (
            "services:\n  web:\n    image: nginx\n    volumes: ['vol:/a:ro:x']\n",
            f"{F}:4:15: services.web.volumes.0: invalid spec: vol:/a:ro:x: too many colons",
        ),
        (
            "services:\n  web:\n    image: nginx\n    command: echo 'unclosed\n",
            f"{F}:4:14: services.web.command: EOF found when expecting closing quote",
        ),
        (
            "services:\n  web:\n    image: nginx\n    volumes: [{type: bind, target: /x}]\n",
            f'{F}:4:15: services.web.volumes.0: invalid mount config for type "bind": '
            "field Source must not be empty",
        ),
        (
            "services:\n  web:\n    image: nginx\n    env_file: missing.env\n",
            f"{F}:4:5: services.web.env_file.0: open /srv/missing.env: no such file or directory",
        ),
        # the CLI's own checks
        (
            "services:\n  web:\n    image: nginx\n    deploy:\n      mode: global\n      replicas: 2\n",
            f"{F}:6:7: services.web.deploy.replicas: "
            "replicas can only be used with replicated or replicated-job mode",
        ),
        (
            "services:\n  web:\n    image: nginx\n    deploy: {mode: global-job, replicas: 1}\n",
            f"{F}:4:32: services.web.deploy.replicas: "
            "replicas can only be used with replicated or replicated-job mode",
        ),
        (
            "services:\n  web:\n    image: nginx\n    deploy: {mode: daemon}\n",
            f"{F}:4:14: services.web.deploy.mode: Unknown mode: daemon",
        ),
        (
            "services:\n  web:\n    build: .\n",
            f"{F}:2:3: services.web: invalid image reference for service web: no image specified",
        ),
        (
            "services:\n  web:\n    image: ''\n",
            f"{F}:3:5: services.web: invalid image reference for service web: no image specified",
        ),
        (
            "services:\n  web:\n    image: Nginx:latest\n",
            f"{F}:3:5: services.web.image: invalid image reference for service web: "
            "invalid reference format: repository name (Nginx) must be lowercase",
        ),
        (
            "services:\n  web:\n    image: 'nginx:la test'\n",
            f"{F}:3:5: services.web.image: invalid image reference for service web: invalid reference format",
        ),
        (
            "services:\n  web:\n    image: nginx\n    networks: [front]\n",
            f'{F}:4:16: services.web.networks.front: undefined network "front"',
        ),
        (
            "services:\n  web:\n    image: nginx\n    volumes: ['data:/data']\n",
            f'{F}:4:15: services.web.volumes.0: undefined volume "data"',
        ),
        (
            "services:\n  web:\n    image: nginx\n    secrets: [token]\n",
            f'{F}:4:15: services.web.secrets.0: undefined secret "token"',
        ),
        (
            "services:\n  web:\n    image: nginx\n    configs: [{source: conf, target: /c}]\n",
            f'{F}:4:15: services.web.configs.0: undefined config "conf"',
        ),
        (
            "services:\n  web:\n    image: nginx\n    volumes: [{type: tmpfs, source: x, target: /t}]\n",
            f"{F}:4:15: services.web.volumes.0: invalid tmpfs source, source must be empty",
        ),
        (
            "services:\n  web:\n    image: nginx\n"
            "    volumes: [{type: volume, target: /t, bind: {propagation: shared}}]\n",
            f"{F}:4:15: services.web.volumes.0: bind options are incompatible with type volume",
        ),
        (
            "services:\n  web:\n    image: nginx\n    volumes: [{type: disk, target: /t}]\n",
            f"{F}:4:15: services.web.volumes.0: "
            "volume type must be volume, bind, tmpfs, npipe, cluster or image",
        ),
        (
            "services:\n  web:\n    image: nginx\n    healthcheck: {test: [CMD, 'true'], disable: true}\n",
            f"{F}:4:40: services.web.healthcheck: test and disable can't be set at the same time",
        ),
        (
            "services:\n  web:\n    image: nginx\n    credential_spec: {file: a, registry: b}\n",
            f"{F}:4:22: services.web.credential_spec: invalid credential spec: "
            'cannot specify both "File" and "Registry"',
        ),
        (
            "services:\n  web:\n    image: nginx\n    credential_spec: {config: cs}\n",
            f"{F}:4:23: services.web.credential_spec.config: invalid credential spec: "
            "spec specifies config cs, but no such config can be found",
        ),
        # top-level objects
        (
            "services: {}\nvolumes:\n  v:\n    external: true\n    driver: local\n",
            f'{F}:5:5: volumes.v.driver: conflicting parameters "external" and "driver" specified '
            'for volume "v"',
        ),
        (
            "services: {}\nnetworks:\n  n:\n    external: {name: a}\n    name: b\n",
            f"{F}:5:5: networks.n.name: network n: network.external.name and network.name conflict; "
            "only use network.name",
        ),
        (
            "services: {}\nsecrets:\n  s:\n    driver: vault\n    file: ./s\n",
            f"{F}:5:5: secrets.s.file: secret s: secret.driver and secret.file conflict; "
            "only use secret.driver",
        ),
        (
            "services: {}\nconfigs:\n  c:\n    labels: {a: b}\n",
            f"{F}:4:5: configs.c: config c: one of file or external must be set",
        ),
        (
            "services: {}\nnetworks:\n  n:\n    external: {name: a, driver: x}\n",
            f"{F}:4:25: networks.n.external: Additional property driver is not allowed",
        ),
        # versions
        ('version: "2.4"\nservices: {}\n', f"{F}:1:10: version: unsupported Compose file version: 2.4"),
        ("version: 3.8\nservices: {}\n", f"{F}:1:10: version: must be a string"),
        (
            'version: "3.6"\nservices:\n  web:\n    image: nginx\n    init: true\n',
            f"{F}:5:5: services.web.init: init needs compose file version 3.7 or later "
            "(the file declares version 3.6)",
        ),
        (
            'version: "3.4"\nconfigs:\n  c:\n    file: ./c\n    name: cc\nservices: {}\n',
            f"{F}:5:5: configs.c.name: name needs compose file version 3.5 or later "
            "(the file declares version 3.4)",
        ),
        (
            'version: "3.3"\nservices:\n  web:\n    image: nginx\n    healthcheck: {start_period: 1s}\n',
            f"{F}:5:19: services.web.healthcheck.start_period: healthcheck.start_period needs compose "
            "file version 3.4 or later (the file declares version 3.3)",
        ),
        (
            'version: "3.1"\nservices:\n  web:\n    image: nginx\n    ports: [{target: 80}]\n',
            f"{F}:5:13: services.web.ports.0: the long port syntax needs compose file version 3.2 "
            "or later (the file declares version 3.1)",
        ),
        (
            'version: "3.0"\nx-common: {}\nservices: {}\n',
            f"{F}:2:1: x-common: extension fields needs compose file version 3.4 or later "
            "(the file declares version 3.0)",
        ),
    ],
)
def test_refused_with_place_and_message(text, expected):
    assert str(error_of(text, working_dir="/srv")) == expected


def test_forbidden_keys_use_the_cli_headline_and_sorted_hints():
    error = error_of(
        "services:\n  web:\n    image: nginx\n    mem_limit: 1g\n"
        "    extends: base\n  db:\n    image: pg\n    cpu_shares: 2\n"
        "    volumes_from: [web]\n    interpolated: ${MISSING?}\n"
    )
    assert str(error) == (
        "compose file contains unsupported options:\n\n"
        f"{F}:8:5: services.db.cpu_shares: Set resource limits using deploy.resources\n\n"
        f"{F}:5:5: services.web.extends: Support for `extends` is not implemented yet.\n\n"
        f"{F}:4:5: services.web.mem_limit: Set resource limits using deploy.resources\n\n"
        f"{F}:9:5: services.db.volumes_from: To share a volume between services, define it "
        "using the top-level `volumes` option and reference it from each service that shares "
        "it using the service-level `volumes` option."
    )
    assert (error.file, error.line, error.column, error.path) == (F, 8, 5, "services.db.cpu_shares")


def test_several_problems_in_one_file_are_one_error():
    error = error_of(
        "services:\n  a:\n    image: 1\n    tty: maybe\n  b:\n    image: x\n    deploy: {replicas: many}\n"
    )
    assert [str(p) for p in error.problems] == [
        f"{F}:3:12: services.a.image: must be a string",
        f"{F}:4:10: services.a.tty: must be a boolean",
        f"{F}:7:24: services.b.deploy.replicas: must be a integer",
    ]
    assert (error.line, error.column, error.message) == (3, 12, "must be a string")


def test_missing_required_variable_names_its_place():
    error = error_of("services:\n  web:\n    image: ${IMAGE:?set IMAGE to the web image}\n")
    assert str(error) == (
        f"{F}:3:12: services.web.image: required variable IMAGE is missing "
        "a value: set IMAGE to the web image"
    )


def test_files_that_cannot_be_read(tmp_path):
    with pytest.raises(ComposeError) as caught:
        load([tmp_path / "nope.yml"], env={})
    assert (
        str(caught.value) == f"{tmp_path / 'nope.yml'}: open {tmp_path / 'nope.yml'}: "
        "no such file or directory"
    )
    with pytest.raises(ComposeError, match="no compose file given"):
        load([], env={})


def test_the_error_is_a_swarmdeck_error():
    from swarmdeck.errors import SwarmdeckError

    assert issubclass(ComposeError, SwarmdeckError)


def test_unique_items_compare_json_values():
    # "80" and 80 are different JSON values, so the schema accepts both ...
    ports = (
        load([(F, "services:\n  web:\n    image: nginx\n    ports: ['80', 80]\n")], env={})
        .project.services["web"]
        .ports
    )
    assert [(p.target, p.published) for p in ports] == [(80, 0), (80, 0)]
    # ... but the same value twice is refused, also for mappings.
    error = error_of(
        "services:\n  web:\n    image: nginx\n"
        "    volumes: [{type: volume, target: /a}, {target: /a, type: volume}]\n"
    )
    assert str(error) == f"{F}:4:43: services.web.volumes.1: array items[0,1] must be unique"
