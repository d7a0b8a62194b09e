"""Property-based fuzz of compose input (hypothesis): the loader and the deploy route.

Documents are built from the real schema: the keys of every level come from the compose
models themselves (``swarmdeck.compose.models.Project`` and the models its fields hold,
aliases included), so a new key is fuzzed as soon as the models know it, and values nest the
way the models do (a service under ``services``, a deploy under a service...), mixed with
values of the wrong shape and compose-flavoured scalars (durations, sizes, ports, mounts,
variables). Also YAML-ish text: anchors, aliases, merge keys, tags, flow collections.

- ``swarmdeck.compose.load`` either loads or raises ``ComposeError``, never anything else;
- ``POST /api/stacks/{name}/deploy`` with ``plan: true`` (a plan changes nothing on the
  swarm) on a real console and swarm manager never answers a 5xx.

Example counts are bounded and derandomized (the same examples in CI every time).
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from swarmdeck.compose import ComposeError, load
from swarmdeck.compose.models import Project

from .harness import PREFIX, Served, remove_prefixed

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
API_SETTINGS = settings(SETTINGS, max_examples=40)

WORDS = [
    "10s",
    "1m30s",
    "-5s",
    "0",
    "1.5",
    "0.000000001",
    "1e3",
    "100M",
    "1g",
    "-1",
    "80:80",
    "127.0.0.1:8080:80/udp",
    "8000-8010:80",
    "65536:80",
    "/data:/data:ro",
    "data:/data",
    "./rel:/x",
    "~/x",
    "${VAR}",
    "${VAR:-default}",
    "${VAR:+alt}",
    "$$",
    "$VAR",
    "host:1.2.3.4",
    "start-first",
    "any",
    "on-failure",
    "node.role==manager",
    "ingress",
    "host",
    "vip",
    "dnsrr",
    "global",
    "replicated",
    "replicated-job",
    "global-job",
    "CMD-SHELL",
    "NONE",
    "SYS_ADMIN",
    "/var/run/docker.sock:/var/run/docker.sock",
    "bind",
    "volume",
    "tmpfs",
    "npipe",
    "3",
    "3.8",
    "3.13",
    "true",
    "no",
    "KEY=value",
    "nginx:1.25",
    "registry:5000/app@sha256:" + "0" * 64,
    "",
    " ",
    "\x00",
    "é",
    "a" * 3000,
]
# Refused before validation (a bad interpolation): only in the text fuzz, else every document
# would stop there.
BAD_WORDS = ["$", "${", "${VAR:?needed}", "${VAR", "$(x)"]
TEXT = st.text(st.characters(codec="utf-8", max_codepoint=0x17F, exclude_characters="$"), max_size=10)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, 2**64, -(2**63) - 1, 10**30]),
    st.floats(),
    st.sampled_from(WORDS),
    TEXT,
)
NAMES = st.one_of(
    st.sampled_from(["web", "db", "default", "x-ext", "a.b_c-d", "", "-x", "ä"]),
    st.from_regex(r"[a-z][a-z0-9_.-]{0,8}", fullmatch=True),
    st.text(max_size=6),
)
LEAVES = st.one_of(SCALARS, st.lists(SCALARS, max_size=2), st.dictionaries(TEXT, SCALARS, max_size=2))


def _models_in(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """("model"|"dict"|"list", the model) when the annotation holds a compose model."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "model", annotation
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _models_in(args[0])
    if origin in (typing.Union, types.UnionType):
        return next(filter(None, (_models_in(a) for a in args)), None)
    if origin is dict and len(args) == 2:
        found = _models_in(args[1])
        return ("dict", found[1]) if found else None
    if origin is list and args:
        found = _models_in(args[0])
        return ("list", found[1]) if found else None
    return None


def keys_of(model: type[BaseModel]) -> dict[str, Any]:
    """The YAML keys of a model and their annotations."""
    return {f.alias or name: f.annotation for name, f in model.model_fields.items()}


def mapping_of(model: type[BaseModel], depth: int) -> st.SearchStrategy[dict[str, Any]]:
    fields = {
        k: v for k, v in keys_of(model).items() if model is not Project or k not in ("version", "services")
    }  # DOCUMENTS adds them
    extension = st.just({"x-ext": {"a": 1}}) if "services" in fields or "image" in fields else st.just({})
    unknown = st.one_of(st.just({}), st.just({}), st.just({}), st.dictionaries(TEXT, SCALARS, max_size=1))
    chosen = st.lists(st.sampled_from(sorted(fields)), unique=True, min_size=int(depth < 3), max_size=5)
    return st.tuples(
        chosen.flatmap(lambda keys: st.fixed_dictionaries({k: value_of(fields[k], depth) for k in keys})),
        extension,
        unknown,
    ).map(lambda t: {**t[0], **t[1], **t[2]})


STRINGS = st.one_of(st.sampled_from(WORDS), TEXT)
TYPED = {
    str: STRINGS,
    int: st.one_of(st.integers(), st.sampled_from(WORDS)),
    bool: st.booleans(),
    float: st.one_of(st.floats(), st.sampled_from(WORDS)),
}


def leaf_of(annotation: Any) -> st.SearchStrategy[Any]:
    """Values of roughly the right shape (as YAML writes them), and now and then any value."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        args = tuple(a for a in args if a is not type(None))
        return leaf_of(args[0]) if len(args) == 1 else st.one_of(*(leaf_of(a) for a in args))
    if origin is typing.Annotated:
        return leaf_of(args[0])
    if origin is list:
        return st.one_of(st.lists(STRINGS, max_size=3), STRINGS, LEAVES)
    if origin is dict:
        return st.one_of(
            st.dictionaries(STRINGS, STRINGS, max_size=3),
            st.lists(STRINGS.map(lambda s: f"K={s}"), max_size=2),
            LEAVES,
        )
    typed = TYPED.get(annotation, LEAVES)
    return st.one_of(typed, typed, typed, LEAVES)  # mostly the right type, to get past the first check


def value_of(annotation: Any, depth: int) -> st.SearchStrategy[Any]:
    shape = _models_in(annotation)
    if shape is None or depth > 4:
        return leaf_of(annotation)
    kind, model = shape
    inner = st.deferred(lambda: mapping_of(model, depth + 1))
    if kind == "dict":
        named = st.dictionaries(NAMES, st.one_of(inner, inner, inner, st.none()), min_size=1, max_size=2)
        return st.one_of(named, named, named, LEAVES)
    if kind == "list":
        items = st.lists(st.one_of(inner, inner, STRINGS), min_size=1, max_size=2)
        return st.one_of(items, items, items, LEAVES)
    return st.one_of(inner, inner, inner, LEAVES)


# Mostly versions the loader takes, so that documents get past the version check.
VERSIONS = st.sampled_from(
    [None] * 4 + ["3.8"] * 4 + ["3", "3.0", "3.3", "3.13", 3.8, "3.14", "2", "", "4", 2, "x", "3.8\n"]
)
SERVICES = st.dictionaries(
    NAMES, st.deferred(lambda: mapping_of(_service_model(), 1)), min_size=1, max_size=2
)
DOCUMENTS = st.tuples(VERSIONS, SERVICES, mapping_of(Project, 0)).map(  # always a service or two
    lambda t: ({"version": t[0]} if t[0] is not None else {}) | t[2] | {"services": t[1]}
)
ENVS = st.dictionaries(
    st.one_of(st.sampled_from(["VAR", "HOME", "TAG", "X"]), TEXT),
    st.one_of(st.sampled_from(WORDS + BAD_WORDS), TEXT),
    max_size=3,
)
TOKENS = st.sampled_from(
    list("abcxyz019 :-[]{},#&*!|>'\"%@`\n\t$~<.=?/\\")
    + BAD_WORDS
    + [
        "services:\n",
        "  web:\n",
        "    image: x\n",
        "    deploy:\n",
        "      replicas: ",
        "\n  ",
        "- ",
        "<<: *a",
        "&a ",
        "*a",
        "!!binary ",
        "!!python/object:os.system ",
        "!!set ",
        "? ",
        "---\n",
        "...\n",
        "%YAML 1.2\n",
        "version: '3.8'\n",
        "${X}",
        "\xff",
        "\ufeff",
        "0x1F",
        "0o17",
        ".inf",
        "~",
    ]
)


def _service_model() -> type[BaseModel]:
    return _models_in(keys_of(Project)["services"])[1]


def _dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def load_or_compose_error(sources: list[tuple[str, str]], env: dict[str, str], working_dir: Path) -> None:
    try:
        load(sources, env=env, working_dir=working_dir)
    except ComposeError as error:
        assert error.problems and str(error)


@pytest.fixture(scope="module")
def empty_dir(tmp_path_factory) -> Path:
    """The working directory: an empty folder, so relative paths find nothing."""
    return tmp_path_factory.mktemp("compose-fuzz")


def test_the_schema_keys_reach_deep():
    """The generator knows the models' keys at every level (a sanity check of the walk)."""
    service = keys_of(Project)["services"]
    assert _models_in(service)[0] == "dict"
    service_model = _models_in(service)[1]
    assert {"image", "deploy", "env_file", "volumes", "cap_add"} <= keys_of(service_model).keys()
    deploy = _models_in(keys_of(service_model)["deploy"])[1]
    resources = _models_in(keys_of(deploy)["resources"])[1]
    assert "cpus" in keys_of(_models_in(keys_of(resources)["limits"])[1])


@SETTINGS
@given(text=st.lists(TOKENS, max_size=80).map("".join), env=ENVS)
def test_yaml_ish_text_loads_or_is_refused(empty_dir, text, env):
    load_or_compose_error([("docker-compose.yml", text)], env, empty_dir)


@SETTINGS
@given(document=DOCUMENTS, env=ENVS)
def test_schema_shaped_documents_load_or_are_refused(empty_dir, document, env):
    load_or_compose_error([("docker-compose.yml", _dump(document))], env, empty_dir)


@settings(SETTINGS, max_examples=40)
@given(first=DOCUMENTS, second=DOCUMENTS, env=ENVS)
def test_merged_documents_load_or_are_refused(empty_dir, first, second, env):
    load_or_compose_error([("a.yml", _dump(first)), ("b.yml", _dump(second))], env, empty_dir)


@pytest.fixture(scope="module")
def planner(served: Served, engine, swarm):
    """An operator's session on a console whose engine is the swarm's manager."""
    client = served.login("oper")
    yield client
    remove_prefixed(engine)


@API_SETTINGS
@given(document=st.one_of(DOCUMENTS.map(_dump), st.lists(TOKENS, max_size=60).map("".join)), env=ENVS)
def test_the_deploy_route_plans_or_refuses_but_never_fails(planner, document, env):
    """``plan: true``: the route loads, checks and plans against the swarm, and changes nothing."""
    if not document.strip():
        return  # the route refuses empty text itself (422 from its schema)
    answer = planner.post(
        f"/api/stacks/{PREFIX}-fuzz/deploy", json={"compose": document, "env": env, "plan": True}
    )
    assert answer.status_code < 500, answer.text
    assert answer.status_code in (200, 400, 404, 409, 422), answer.text
