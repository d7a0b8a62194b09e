"""Good files: every key group, both syntaxes, jobs, external objects, the report's file."""

from swarmdeck.compose import Location, load
from tests.support.paths import REPO

from .util import CORPUS, load_text

REPO = REPO
ENV = {"HOME": "/home/user", "FROM_CALLER": "from caller", "CALLER_ONLY": "caller only", "EMPTY": ""}


def test_full_file_services():
    result = load([CORPUS / "full.yml"], env=ENV)
    project = result.project
    assert project.version == "3.13"
    assert list(project.services) == ["web", "worker"]
    web = project.services["web"]
    assert web.image == "registry.example.com:5000/team/web:1.2"
    assert web.command == ["gunicorn", "--bind", "0.0.0.0:8000", "app:main"]
    assert web.entrypoint == ["/entrypoint.sh", "--verbose"]
    assert (web.working_dir, web.user, web.hostname) == ("/srv", "1000:1000", "web-host")
    assert web.environment == {
        "LOG_LEVEL": "debug",
        "QUOTED": '"kept as is"',
        "INDENTED": "yes",
        "CALLER_ONLY": "caller only",
        "EMPTY": "",
        "MODE": "production",
        "FROM_CALLER": "from caller",
    }
    assert web.labels == {"com.example.tier": "frontend", "com.example.weight": "1"}
    assert web.extra_hosts == ["db.local:10.0.0.5", "v6.local:::1"]
    assert (web.dns, web.dns_search) == (["10.0.0.2"], ["example.com", "example.org"])
    assert (web.cap_add, web.cap_drop) == (["net_admin"], ["ALL"])
    assert web.sysctls == {"net.core.somaxconn": "1024"}
    assert {name: (u.soft, u.hard) for name, u in web.ulimits.items()} == {
        "nproc": (65535, 65535),
        "nofile": (20000, 40000),
    }
    assert web.stop_grace_period == 90_000_000_000
    assert (web.tty, web.stdin_open, web.read_only, web.init) == (True, False, True, True)
    assert (web.isolation, web.oom_score_adj, web.stop_signal) == ("default", -100, "SIGTERM")
    assert web.logging.driver == "json-file"
    assert web.logging.options == {"max-size": "10m", "max-file": "3"}
    check = web.healthcheck
    assert check.test == ["CMD", "curl", "-f", "http://localhost:8000/health"]
    assert (check.interval, check.timeout, check.start_period, check.start_interval) == (
        30_000_000_000,
        5_000_000_000,
        60_000_000_000,
        500_000_000,
    )
    assert check.retries == 3


def test_full_file_ports_volumes_networks_secrets():
    project = load([CORPUS / "full.yml"], env=ENV).project
    web = project.services["web"]
    assert [p.model_dump() for p in web.ports] == [
        {"mode": "ingress", "target": 8000, "published": 8000, "protocol": "tcp"},
        {"mode": "ingress", "target": 9000, "published": 9000, "protocol": "udp"},
        {"mode": "ingress", "target": 9001, "published": 9001, "protocol": "udp"},
        {"mode": "ingress", "target": 7000, "published": 0, "protocol": "tcp"},
        {"mode": "host", "target": 443, "published": 8443, "protocol": "tcp"},
    ]
    assert [v.model_dump(exclude_none=True) for v in web.volumes] == [
        {"type": "bind", "source": str(CORPUS / "static"), "target": "/srv/static", "read_only": True},
        {"type": "volume", "source": "data", "target": "/var/lib/data", "volume": {"nocopy": True}},
        {"type": "volume", "target": "/tmp/cache"},
        {
            "type": "bind",
            "source": "/home/user/certs",
            "target": "/certs",
            "bind": {"propagation": "rprivate"},
        },
        {"type": "tmpfs", "target": "/run/scratch", "tmpfs": {"size": 1048576}},
    ]
    assert web.networks["back"] is None
    assert web.networks["front"].aliases == ["www", "portal"]
    assert web.networks["front"].driver_opts == {"com.example.mtu": "1400"}
    assert [s.model_dump(exclude_none=True) for s in web.secrets] == [
        {"source": "db_password"},
        {"source": "api_key", "target": "/run/secrets/api", "uid": "1000", "gid": "1000", "mode": 0o440},
    ]
    assert [c.source for c in web.configs] == ["nginx_conf", "credspec"]
    assert web.credential_spec.config == "credspec"
    front = project.networks["front"]
    assert (front.driver, front.attachable, front.driver_opts) == ("overlay", True, {"encrypted": ""})
    assert front.ipam.config[0].subnet == "10.20.0.0/16"
    assert project.networks["back"].internal is True
    assert (project.networks["outside"].external, project.networks["outside"].name) == (True, "host-network")
    assert project.volumes["data"].driver_opts == {"type": "tmpfs", "device": "tmpfs"}
    assert project.volumes["data"].labels == {"com.example.volume": "data"}
    assert (project.volumes["shared"].external, project.volumes["shared"].name) == (True, "shared")
    assert project.secrets["db_password"].file == str(CORPUS / "secrets/db_password.txt")
    assert project.secrets["api_key"].name == "prod_api_key"
    assert (project.secrets["vault_token"].driver, project.secrets["vault_token"].file) == ("vault", None)
    assert project.configs["nginx_conf"].file == str(CORPUS / "configs/nginx.conf")
    assert project.configs["nginx_conf"].template_driver == "golang"


def test_full_file_deploy():
    project = load([CORPUS / "full.yml"], env=ENV).project
    deploy = project.services["web"].deploy
    assert (deploy.mode, deploy.replicas, deploy.endpoint_mode) == ("replicated", 3, "vip")
    assert deploy.labels == {"com.example.deployed-by": "swarmdeck"}
    update = deploy.update_config
    assert (
        update.parallelism,
        update.delay,
        update.failure_action,
        update.monitor,
        update.max_failure_ratio,
        update.order,
    ) == (2, 10_000_000_000, "rollback", 60_000_000_000, 0.25, "start-first")
    assert (deploy.rollback_config.parallelism, deploy.rollback_config.order) == (0, "stop-first")
    limits, reservations = deploy.resources.limits, deploy.resources.reservations
    assert (limits.nano_cpus, limits.memory_bytes, limits.pids) == (1_500_000_000, 512 << 20, 200)
    assert (reservations.nano_cpus, reservations.memory_bytes) == (250_000_000, 64 << 20)
    spec = reservations.generic_resources[0].discrete_resource_spec
    assert (spec.kind, spec.value) == ("gpu", 2)
    policy = deploy.restart_policy
    assert (policy.condition, policy.delay, policy.max_attempts, policy.window) == (
        "on-failure",
        5_000_000_000,
        3,
        120_000_000_000,
    )
    placement = deploy.placement
    assert placement.constraints == ["node.role == worker", "engine.labels.zone == a"]
    assert placement.preferences[0].spread == "node.labels.rack"
    assert placement.max_replicas_per_node == 2
    worker = project.services["worker"]
    assert (worker.image, worker.command, worker.deploy.mode) == ("busybox:1.36", ["sleep", "3600"], "global")
    assert worker.logging.options == {"max-size": "10m", "max-file": "3"}


def test_full_file_warnings_and_locations():
    result = load([CORPUS / "full.yml"], env=ENV)
    assert result.warnings == [
        "ignoring IP-address (127.0.0.1:9000:9000/udp) service will listen on '0.0.0.0'",
        "ignoring IP-address (127.0.0.1:9001:9001/udp) service will listen on '0.0.0.0'",
    ]
    web = result.project.services["web"]
    file = str(CORPUS / "full.yml")
    assert web.key_loc("image") == Location(file, 12, 5)
    assert web.entry_loc("networks", "back") == Location(file, 83, 7)
    assert web.deploy.resources.limits.key_loc("cpus") == Location(file, 114, 11)
    assert web.ports[4].loc == Location(file, 61, 9)
    assert web.volumes[3].loc == Location(file, 69, 9)
    assert result.working_dir == str(CORPUS)


def test_jobs():
    services = load([CORPUS / "jobs.yml"], env={}).project.services
    assert (services["migrate"].deploy.mode, services["migrate"].deploy.replicas) == ("replicated-job", 4)
    assert (services["cleanup"].deploy.mode, services["cleanup"].deploy.replicas) == ("global-job", None)
    assert services["plain"].deploy is None


def test_external_names_and_deprecation_warnings_by_version():
    old = load([CORPUS / "external-3.4.yml"], env={})
    assert (
        old.project.networks["legacy"].name,
        old.project.volumes["legacy-data"].name,
        old.project.secrets["legacy-secret"].name,
    ) == ("old_net", "old_volume", "old_secret")
    assert old.warnings == ["volume legacy-data: volume.external.name is deprecated in favor of volume.name"]
    new = load([CORPUS / "external-3.5.yml"], env={})
    assert new.warnings == [
        "network legacy: network.external.name is deprecated in favor of network.name",
        "volume legacy-data: volume.external.name is deprecated in favor of volume.name",
        "secret legacy-secret: secret.external.name is deprecated in favor of secret.name",
    ]


def test_legacy_file_warns_about_unsupported_and_deprecated_keys():
    result = load([CORPUS / "legacy-3.0.yml"], env={})
    web = result.project.services["web"]
    assert web.healthcheck.test == ["CMD-SHELL", "curl -f http://localhost/"]
    assert web.expose == ["80", "443"]
    assert web.build.context == "."
    assert result.warnings == [
        "Ignoring unsupported options: build, links, restart",
        "Ignoring deprecated options:\n\n"
        "container_name: Setting the container name is not supported.\n\n"
        "expose: Exposing ports is unnecessary - services on the same network can access "
        "each other's containers on any port.",
    ]


def test_the_reports_own_file():
    path = REPO / "apps" / "friendlyhello" / "docker-compose.yml"
    result = load([path], env={})
    project = result.project
    assert project.version == "3.13"  # "3" means the latest 3.x
    web, redis = project.services["web"], project.services["redis"]
    assert web.image == "127.0.0.1:5000/friendlyhello:latest"
    assert web.deploy.replicas == 2
    assert (web.deploy.resources.limits.nano_cpus, web.deploy.resources.limits.memory_bytes) == (
        200_000_000,
        100 << 20,
    )
    assert web.deploy.restart_policy.condition == "on-failure"
    assert [(p.published, p.target, p.protocol, p.mode) for p in web.ports] == [(6767, 80, "tcp", "ingress")]
    assert redis.command == ["redis-server", "--appendonly", "yes"]
    assert [(v.type, v.source, v.target) for v in redis.volumes] == [("volume", "redis-data", "/data")]
    assert set(web.networks) == set(redis.networks) == {"webnet"}
    assert result.warnings == []
    images = load([path], env={"FRIENDLYHELLO_IMAGE": "r:5000/fh:2", "REDIS_IMAGE": "r:5000/redis"})
    assert images.project.services["web"].image == "r:5000/fh:2"


def test_in_memory_text_uses_the_given_working_directory(tmp_path):
    result = load_text("services:\n  a:\n    image: x\n    volumes: ['./d:/d']\n", working_dir=tmp_path)
    assert result.project.services["a"].volumes[0].source == str(tmp_path / "d")
    assert result.working_dir == str(tmp_path)
