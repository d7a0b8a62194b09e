"""Property tests: whatever the input, loading succeeds or raises ComposeError, nothing else."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swarmdeck.compose import ComposeError, LoadResult, load

from .util import CORPUS

CORPUS_FILES = [
    "full.yml",
    "jobs.yml",
    "merge-base.yml",
    "interpolation.yml",
    "legacy-3.0.yml",
    "external-3.5.yml",
]
TEXTS = {name: (CORPUS / name).read_text() for name in CORPUS_FILES}
ENV = {
    "HOME": "/home/user",
    "REGISTRY": "r",
    "PLAIN_VALUE": "p",
    "REPLICAS": "2",
    "RATIO": "1",
    "PORT": "80",
    "TTY": "true",
    "EMPTY_VALUE": "",
}
SETTINGS = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# Keys the models know, so that random documents reach deep into validation.
KEYS = [
    "version",
    "services",
    "networks",
    "volumes",
    "secrets",
    "configs",
    "x-ext",
    "image",
    "deploy",
    "mode",
    "replicas",
    "resources",
    "limits",
    "reservations",
    "cpus",
    "memory",
    "pids",
    "ports",
    "target",
    "published",
    "protocol",
    "environment",
    "env_file",
    "labels",
    "command",
    "entrypoint",
    "healthcheck",
    "test",
    "interval",
    "disable",
    "logging",
    "driver",
    "options",
    "external",
    "name",
    "file",
    "source",
    "type",
    "bind",
    "tmpfs",
    "size",
    "ulimits",
    "soft",
    "hard",
    "extra_hosts",
    "restart_policy",
    "placement",
    "constraints",
    "update_config",
    "order",
    "delay",
    "credential_spec",
    "config",
    "aliases",
    "ipam",
    "stop_grace_period",
    "tty",
    "init",
    "sysctls",
    "generic_resources",
    "<<",
    "extends",
    "web",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "3",
            "3.0",
            "3.7",
            "nginx",
            "0.5",
            "100M",
            "10s",
            "80:80",
            "${X}",
            "$",
            "global",
            "replicated-job",
            "./a",
            "~/b",
            "a:/b:ro",
            "true",
            "start-first",
            "tmpfs",
            "bind",
            "volume",
            "KEY=v",
            "",
            "${REQ?missing}",
            "1/3",
        ]
    ),
    st.text(max_size=12),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children, max_size=5),
    ),
    max_leaves=40,
)
YAML_ALPHABET = st.sampled_from(
    list("abcxyz019 :-[]{},#&*!|>'\"%@`\n\t$~<.=?/\\")
    + ["services:", "image: ", "\n  ", "- ", "<<: *a", "&a ", "\xff"]
)


def _load_only_compose_errors(sources: list, working_dir=CORPUS) -> LoadResult | None:
    try:
        return load(sources, env=ENV, working_dir=working_dir)
    except ComposeError as error:
        assert error.problems and str(error)
        return None


@SETTINGS
@given(st.lists(YAML_ALPHABET, max_size=120).map("".join))
def test_random_yaml_text(text):
    _load_only_compose_errors([("random.yml", text)])


@SETTINGS
@given(DOCUMENTS)
def test_random_documents(document):
    text = yaml.safe_dump(document, allow_unicode=True)
    _load_only_compose_errors([("random.yml", text)])


@SETTINGS
@given(st.sampled_from(CORPUS_FILES), st.data())
def test_random_text_mutations_of_valid_files(name, data):
    text = TEXTS[name]
    for _ in range(data.draw(st.integers(1, 3))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 20)))
        kind = data.draw(st.sampled_from(["delete", "insert", "replace", "duplicate", "indent"]))
        piece = data.draw(st.lists(YAML_ALPHABET, max_size=6).map("".join))
        if kind == "delete":
            text = text[:start] + text[end:]
        elif kind == "insert":
            text = text[:start] + piece + text[start:]
        elif kind == "replace":
            text = text[:start] + piece + text[end:]
        elif kind == "duplicate":
            text = text[:start] + text[start:end] + text[start:]
        else:
            line_start = text.rfind("\n", 0, start) + 1
            text = text[:line_start] + " " * data.draw(st.integers(1, 3)) + text[line_start:]
    _load_only_compose_errors([(name, text)])


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


@SETTINGS
@given(st.sampled_from(CORPUS_FILES), st.data())
def test_random_structural_mutations_of_valid_files(name, data):
    document = copy.deepcopy(yaml.safe_load(TEXTS[name]))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(document)[1:]
        if not paths:  # every key deleted already: an empty document is a mutation too
            break
        path = data.draw(st.sampled_from(paths))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = data.draw(DOCUMENTS)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[data.draw(st.sampled_from(KEYS))] = data.draw(DOCUMENTS)
        else:
            parent.insert(path[-1], data.draw(DOCUMENTS))
    _load_only_compose_errors([(name, yaml.safe_dump(document, allow_unicode=True))])


@SETTINGS
@given(st.sampled_from(CORPUS_FILES), st.sampled_from(CORPUS_FILES), st.text(max_size=8))
def test_pairs_of_files_merge_or_refuse(first, second, version):
    texts = [TEXTS[first], TEXTS[second].replace('version: "3.13"', f'version: "{version}"')]
    _load_only_compose_errors([(first, texts[0]), (second, texts[1])])
