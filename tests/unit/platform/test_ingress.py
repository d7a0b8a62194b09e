"""The compose rewrite that replaces Swarm's routing mesh where the kernel has no IPVS."""

import pytest

from swarmdeck.platform.errors import PlatformError
from swarmdeck.platform.ingress import (
    PROXY_SERVICE,
    haproxy_config,
    mesh_routes,
    with_proxy_ingress,
)


def report_file():
    return {
        "version": "3",
        "services": {
            "web": {
                "image": "reg/friendlyhello",
                "ports": ["6767:80"],
                "networks": ["webnet"],
                "deploy": {"replicas": 2},
            },
            "redis": {"image": "redis", "networks": ["webnet"], "volumes": ["redis-data:/data"]},
        },
        "networks": {"webnet": {}},
        "volumes": {"redis-data": {}},
    }


def test_published_service_goes_dnsrr_behind_a_global_host_mode_proxy():
    original = report_file()
    result, config = with_proxy_ingress(original, "friendlyhello", "reg/haproxy:2.6")
    web = result["services"]["web"]
    assert "ports" not in web
    assert web["deploy"] == {"replicas": 2, "endpoint_mode": "dnsrr"}
    # no VIPs without IPVS: services reach each other by DNS round robin
    assert result["services"]["redis"]["deploy"] == {"endpoint_mode": "dnsrr"}
    proxy = result["services"][PROXY_SERVICE]
    assert proxy["image"] == "reg/haproxy:2.6"
    assert proxy["deploy"]["mode"] == "global"
    assert proxy["ports"] == [{"target": 6767, "published": 6767, "protocol": "tcp", "mode": "host"}]
    assert proxy["networks"] == ["webnet"]
    assert "server-template task 32 tasks.friendlyhello_web:80" in config
    assert "bind :6767" in config
    assert result["version"] == "3.5"
    # the input is left as it was
    assert original == report_file()


def test_config_name_changes_with_its_text():
    a, _ = with_proxy_ingress(report_file(), "one", "p")
    b, _ = with_proxy_ingress(report_file(), "two", "p")
    names = [x["configs"]["ingress-proxy-cfg"]["name"] for x in (a, b)]
    assert names[0].startswith("one_ingress-proxy-") and names[1].startswith("two_ingress-proxy-")
    assert names[0].rsplit("-", 1)[1] != names[1].rsplit("-", 1)[1]


def test_service_without_networks_is_on_default():
    compose = {"services": {"web": {"image": "x", "ports": ["8080:80"]}}}
    result, _ = with_proxy_ingress(compose, "s", "p")
    assert result["services"][PROXY_SERVICE]["networks"] == ["default"]


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        ("6767:80", (6767, 80)),
        ("127.0.0.1:6767:80", (6767, 80)),
        ("6767:80/tcp", (6767, 80)),
        ({"target": 80, "published": 6767}, (6767, 80)),
        ({"target": 80, "published": 6767, "mode": "ingress"}, (6767, 80)),
    ],
)
def test_ingress_ports_are_routed(port, expected):
    [route] = mesh_routes({"web": {"ports": [port]}})
    assert (route.published, route.target) == expected


@pytest.mark.parametrize(
    "port",
    [
        "80",
        "53:53/udp",
        {"target": 80, "published": 8080, "mode": "host"},
        {"target": 80},
    ],
)
def test_ports_the_mesh_does_not_carry_are_left_alone(port):
    assert mesh_routes({"web": {"ports": [port]}}) == []
    result, config = with_proxy_ingress({"services": {"web": {"image": "x", "ports": [port]}}}, "s", "p")
    assert result["services"]["web"]["ports"] == [port]
    assert result["services"]["web"]["deploy"]["endpoint_mode"] == "dnsrr"
    assert PROXY_SERVICE not in result["services"] and config == ""


def test_port_range_is_refused_with_its_location():
    with pytest.raises(PlatformError, match=r"services\.web\.ports.*8000-8001:80-81"):
        mesh_routes({"web": {"ports": ["8000-8001:80-81"]}})


def test_same_port_twice_is_refused():
    with pytest.raises(PlatformError, match="port 80 is published by two services"):
        mesh_routes({"a": {"ports": ["80:80"]}, "b": {"ports": ["80:8080"]}})


def test_reserved_service_name_is_refused():
    compose = report_file()
    compose["services"][PROXY_SERVICE] = {"image": "x"}
    with pytest.raises(PlatformError, match="reserved"):
        with_proxy_ingress(compose, "s", "p")


def test_haproxy_config_uses_the_engine_dns():
    text = haproxy_config("st", mesh_routes({"web": {"ports": ["1:2"]}}))
    assert "nameserver engine 127.0.0.11:53" in text
    assert "tasks.st_web:2" in text
