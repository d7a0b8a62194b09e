"""The figures of an engine stats answer, computed as `docker stats` computes them: the CPU %
from the deltas between the two readings times the CPUs online, memory without the page
cache (cgroup v1 ``cache``, v2 ``inactive_file``), byte counters summed over networks and
block devices. The answers below are shaped as the engine sends them."""

from __future__ import annotations

from swarmdeck.console.resources.stats import figures


def answer(**over: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "cpu_stats": {
            "cpu_usage": {"total_usage": 3_000_000_000},
            "system_cpu_usage": 20_000_000_000,
            "online_cpus": 2,
        },
        "precpu_stats": {"cpu_usage": {"total_usage": 2_500_000_000}, "system_cpu_usage": 18_000_000_000},
        "memory_stats": {"usage": 10 * 2**20, "limit": 100 * 2**20, "stats": {"inactive_file": 2 * 2**20}},
        "networks": {"eth0": {"rx_bytes": 100, "tx_bytes": 40}, "eth1": {"rx_bytes": 5, "tx_bytes": 1}},
        "blkio_stats": {
            "io_service_bytes_recursive": [
                {"major": 8, "minor": 0, "op": "read", "value": 4096},
                {"major": 8, "minor": 0, "op": "write", "value": 512},
                {"major": 8, "minor": 16, "op": "Read", "value": 1024},
            ]
        },
        "pids_stats": {"current": 3},
    }
    raw.update(over)
    return raw


def test_the_figures_are_docker_stats_figures() -> None:
    got = figures(answer())
    # 0.5 s of CPU over 2 s of the host's, on 2 CPUs: 50 %
    assert got["cpu_percent"] == 50.0
    assert got["online_cpus"] == 2
    assert got["memory_usage"] == 8 * 2**20  # the page cache left out
    assert got["memory_percent"] == 8.0
    assert (got["net_rx"], got["net_tx"]) == (105, 41)
    assert (got["block_read"], got["block_write"]) == (5120, 512)
    assert got["pids"] == 3


def test_cgroup_v1_cache_and_percpu_count() -> None:
    got = figures(
        answer(
            cpu_stats={
                "cpu_usage": {"total_usage": 3_000_000_000, "percpu_usage": [1, 2, 3, 4]},
                "system_cpu_usage": 20_000_000_000,
            },
            memory_stats={"usage": 10 * 2**20, "limit": 0, "stats": {"cache": 4 * 2**20, "inactive_file": 1}},
        )
    )
    assert got["online_cpus"] == 4 and got["cpu_percent"] == 100.0
    assert got["memory_usage"] == 6 * 2**20 and got["memory_percent"] == 0.0


def test_no_delta_is_zero_not_an_error() -> None:
    """The first reading of a stream, or a paused container: no previous reading to compare."""
    got = figures(answer(precpu_stats={}, cpu_stats={"cpu_usage": {"total_usage": 5}, "online_cpus": 1}))
    assert got["cpu_percent"] == 0.0
    assert figures({})["cpu_percent"] == 0.0 and figures({})["memory_usage"] == 0
