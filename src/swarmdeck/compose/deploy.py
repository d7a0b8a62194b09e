"""``deploy``: mode, replicas, update/rollback, resources, restart policy, placement."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from swarmdeck.compose.base import ComposeModel
from swarmdeck.compose.fields import (
    Bytes,
    Int64,
    Labels,
    Mapping,
    NanoCpus,
    Nanoseconds,
    Number,
    Str,
    Strings,
    UInt64,
    fail,
    is_number,
)


def _order(value: Any) -> str:
    if value in ("start-first", "stop-first"):
        return str(value)
    fail('must be one of the following: "start-first", "stop-first"')


class UpdateConfig(ComposeModel):
    """``update_config`` and ``rollback_config``."""

    parallelism: UInt64 = None
    delay: Nanoseconds = None
    failure_action: Str = None
    monitor: Nanoseconds = None
    max_failure_ratio: Number = None
    order: Annotated[Literal["start-first", "stop-first"] | None, BeforeValidator(_order)] = None


class Limits(ComposeModel):
    nano_cpus: NanoCpus = Field(default=None, alias="cpus")
    memory_bytes: Bytes = Field(default=None, alias="memory")
    pids: Int64 = None


def _int64_number(value: Any) -> int:
    if not is_number(value) or value != value or value in (float("inf"), float("-inf")):
        fail("must be a number")
    result = int(value)
    if not -(1 << 63) <= result < 1 << 63:
        fail(f"{result} overflows int64")
    return result


class DiscreteResourceSpec(ComposeModel):
    kind: Str = None
    value: Annotated[int | None, BeforeValidator(_int64_number)] = None


class GenericResource(ComposeModel):
    discrete_resource_spec: Annotated[DiscreteResourceSpec | None, Mapping] = None


class Reservations(ComposeModel):
    nano_cpus: NanoCpus = Field(default=None, alias="cpus")
    memory_bytes: Bytes = Field(default=None, alias="memory")
    generic_resources: list[GenericResource] | None = None


class Resources(ComposeModel):
    limits: Annotated[Limits | None, Mapping] = None
    reservations: Annotated[Reservations | None, Mapping] = None


class RestartPolicy(ComposeModel):
    condition: Str = None
    delay: Nanoseconds = None
    max_attempts: UInt64 = None
    window: Nanoseconds = None


class PlacementPreference(ComposeModel):
    spread: Str = None


class Placement(ComposeModel):
    constraints: Strings = None
    preferences: list[PlacementPreference] | None = None
    max_replicas_per_node: UInt64 = None


class Deploy(ComposeModel):
    mode: Str = None
    replicas: UInt64 = None
    labels: Labels = None
    update_config: Annotated[UpdateConfig | None, Mapping] = None
    rollback_config: Annotated[UpdateConfig | None, Mapping] = None
    resources: Annotated[Resources | None, Mapping] = None
    restart_policy: Annotated[RestartPolicy | None, Mapping] = None
    placement: Annotated[Placement | None, Mapping] = None
    endpoint_mode: Str = None
