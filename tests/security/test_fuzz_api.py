"""Property-based fuzz of the API's JSON bodies (hypothesis), against a real console, engine
and swarm: whatever the body, never a 5xx.

The routes and their body schemas come from the console's OpenAPI document (every operation
with an ``application/json`` request body), so a new route is fuzzed as soon as it exists.
Bodies are built from the schema by ``body_of`` below (``hypothesis-jsonschema`` is not a
dependency of the project; the schemas FastAPI writes use a small part of JSON Schema): bodies
that follow the schema (patterns, bounds, enums, $refs, nullable fields), the same with one
field replaced by any JSON value, removed, or an unknown one added, and any JSON value at
all. Strings include path traversal, NUL bytes, the engine socket's path, long strings.
Malformed JSON (truncated, NaN, deep nesting, huge numbers) is sent to every route too.

Everything is sent as an admin (who may do everything, so that the body reaches the route).
Path parameters name things that do not exist (404 after the body is read), except the
stack deploy route, whose stack name carries this run's prefix. The routes that make things
on the engine are kept from making them without bound (see ``GUARDS``):

- container runs: the name always starts with this run's prefix (removed afterwards), and an
  image that exists on the engine is swapped for one that does not: a fuzzed body never runs
  a container (random text can name a real image by a short ID prefix);
- networks, volumes, services: the name starts with the prefix (removed afterwards);
  services run 0 replicas and publish no fixed port (the test swarm is shared);
- image tag and push: a source that exists is swapped for one that does not (no stray tags,
  no pushes);
- swarm init and join: the engine is already a swarm's manager, so they are refused (409).

A pull contacts a registry the body names, and saving an endpoint or a registry tries it first:
one that cannot be reached is the one 5xx allowed (502 from those routes, by design).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import docker
import docker.errors
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .harness import PATH_VALUES, PREFIX, Served, fill, remove_prefixed, throwaway_app_routes

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is reported
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
# Routes that hash a password (argon2, slow on purpose) or plan a stack run fewer examples.
FEWER = {
    "POST /api/auth/login": 8,
    "POST /api/auth/password": 8,
    "POST /api/setup": 8,
    "POST /api/users": 10,
    "POST /api/stacks/{name}/deploy": 10,
}
# May answer 502: the registry a pull names does not answer; an endpoint or registry being
# saved does not pass its check on save (console/checks.py) and force was not given.
UPSTREAM = {
    "POST /api/images/pull",
    "POST /api/endpoints",
    "PATCH /api/endpoints/{name}",
    "POST /api/registries",
}
NOIMAGE = f"{PREFIX}-noimage:1"


def _openapi() -> dict[str, Any]:
    import tempfile
    from pathlib import Path

    from swarmdeck.console import create_app

    with tempfile.TemporaryDirectory(prefix="sdsec-openapi-") as scratch:
        app = create_app(Path(scratch) / "data")
        try:
            return app.openapi()
        finally:
            app.state.console.close()


OPENAPI = _openapi()
SCHEMAS = OPENAPI["components"]["schemas"]
JSON_ROUTES = sorted(
    (method.upper(), path, op["requestBody"]["content"]["application/json"]["schema"])
    for path, ops in OPENAPI["paths"].items()
    for method, op in ops.items()
    if "application/json" in op.get("requestBody", {}).get("content", {})
)
ROUTE_IDS = [f"{m} {p}" for m, p, _ in JSON_ROUTES]

# --- bodies from a JSON schema --------------------------------------------------------------
SPICY = [
    "",
    " ",
    "../../../../etc/passwd",
    "..%2F..%2Fsecrets",
    "/",
    "/var/run/docker.sock",
    "\x00",
    "a\x00b",
    "a" * 5000,
    "${HOME}",
    "$(id)",
    "<script>alert(1)</script>",
    "'; DROP TABLE users; --",
    "%s%n%x",
    "\u202e\u0000",
    "💥",
    "C:\\Windows",
    "\\\\host\\share",
    "localhost:5000/x:y",
    "sha256:" + "0" * 64,
    "99999999999999999999999",
    "-1",
    "0",
    "true",
    "null",
    "@",
    "::",
    "a/b/../../c",
    "\n",
    "\r\n\t",
]
TEXT = st.one_of(st.text(max_size=30), st.sampled_from(SPICY))
HUGE = st.sampled_from([2**31, 2**53 + 1, 2**63, 2**64, 10**30, -(2**63) - 1, -1, 0])
ANY_JSON = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), HUGE, st.floats(allow_nan=False, allow_infinity=False), TEXT
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=10,
)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _bounded(value: Any) -> int | None:
    return None if value is None else int(value)


def valid_of(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the schema accepts (the route may refuse them all the same)."""
    schema = _resolve(schema)
    if "anyOf" in schema or "oneOf" in schema:
        return st.one_of(*(valid_of(s) for s in schema.get("anyOf") or schema["oneOf"]))
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind == "string":
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if "pattern" in schema:
            strings = st.from_regex(schema["pattern"], fullmatch=True)
        else:
            strings = st.one_of(TEXT, st.just("a" * high) if high else st.just("a" * 300))
        return strings.filter(lambda s: low <= len(s) <= (high or len(s)))
    if kind == "integer":
        low, high = _bounded(schema.get("minimum")), _bounded(schema.get("maximum"))
        ends = [v for v in (low, high) if v is not None]
        unbounded = HUGE if low is None and high is None else st.nothing()
        return st.one_of(st.integers(low, high), st.sampled_from(ends) if ends else st.nothing(), unbounded)
    if kind == "number":
        return st.one_of(
            st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False),
            st.integers(0, 10**6),
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.lists(valid_of(schema.get("items", {})), max_size=3)
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        extra = schema.get("additionalProperties")
        fixed = st.fixed_dictionaries(
            {k: valid_of(v) for k, v in properties.items() if k in required},
            optional={k: valid_of(v) for k, v in properties.items() if k not in required},
        )
        if isinstance(extra, dict):
            return st.tuples(fixed, st.dictionaries(TEXT, valid_of(extra), max_size=3)).map(
                lambda t: {**t[1], **t[0]}
            )
        return fixed
    return ANY_JSON


@st.composite
def mutated(draw: st.DrawFn, valid: st.SearchStrategy[Any]) -> Any:
    """A valid body with one field replaced by any value (or a huge number), removed, or an
    unknown one added."""
    body = draw(valid)
    if not isinstance(body, dict) or not body:
        return draw(ANY_JSON)
    key = draw(st.sampled_from(sorted(body)))
    how = draw(st.sampled_from(["replace", "remove", "add", "huge"]))
    changed = dict(body)
    if how == "replace":
        changed[key] = draw(ANY_JSON)
    elif how == "remove":
        del changed[key]
    elif how == "huge":
        changed[key] = draw(HUGE)
    else:
        changed[draw(TEXT)] = draw(ANY_JSON)
    return changed


def body_of(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    valid = valid_of(schema)
    return st.one_of(valid, valid, mutated(valid), ANY_JSON)


# --- keeping the engine in bounds --------------------------------------------------------------
def _exists(engine: docker.DockerClient, reference: Any) -> bool:
    if not isinstance(reference, str) or not reference.strip():
        return False
    try:
        engine.api.inspect_image(reference)
        return True
    except (docker.errors.DockerException, ValueError):
        return False


def _prefixed(value: Any) -> str:
    return f"{PREFIX}-fz{re.sub(r'^[^a-zA-Z0-9_.-]', '', value) if isinstance(value, str) else ''}"


def _container(body: dict[str, Any], engine: docker.DockerClient) -> None:
    body["name"] = _prefixed(body.get("name"))
    if _exists(engine, body.get("image")):
        body["image"] = NOIMAGE
    for mount in body.get("volumes") or []:
        source = mount.get("source") if isinstance(mount, dict) else None
        if isinstance(source, str) and not source.startswith("/"):
            mount["source"] = _prefixed(source)  # a named volume the run would make: prefixed too


def _service(body: dict[str, Any], engine: docker.DockerClient) -> None:
    body["name"] = _prefixed(body.get("name"))
    body["replicas"], body["mode"] = 0, "replicated"
    for port in body.get("ports") or []:
        if isinstance(port, dict):
            port.pop("published", None)


def _named(body: dict[str, Any], engine: docker.DockerClient) -> None:
    body["name"] = _prefixed(body.get("name"))


def _source(key: str) -> Callable[[dict[str, Any], docker.DockerClient], None]:
    def guard(body: dict[str, Any], engine: docker.DockerClient) -> None:
        if _exists(engine, body.get(key)):
            body[key] = NOIMAGE

    return guard


GUARDS: dict[str, Callable[[dict[str, Any], docker.DockerClient], None]] = {
    "POST /api/containers": _container,
    "POST /api/services": _service,
    "POST /api/networks": _named,
    "POST /api/volumes": _named,
    "POST /api/images/tag": _source("source"),
    "POST /api/images/push": _source("reference"),
}


def url_of(path: str) -> str:
    stack = path.startswith("/api/stacks/")
    values = {**PATH_VALUES, "name": f"{PREFIX}-fz" if stack else PATH_VALUES["name"]}
    return fill(path, {k: quote(v, safe="") for k, v in values.items()})


# --- the tests -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def admin(served: Served, engine: docker.DockerClient, swarm):
    """An admin's session on a console whose engine is the swarm's manager; what the fuzz made
    on the engine goes afterwards."""
    assert engine.info()["Swarm"]["ControlAvailable"], "the fuzz needs the engine to be a swarm manager"
    try:
        yield served.login("admin")
    finally:
        remove_prefixed(engine)


def test_every_json_route_is_fuzzed(served: Served):
    """The routes come from the console's own OpenAPI document (as served)."""
    served_doc = served.client().get("/api/openapi.json").json()
    live = {
        (m.upper(), p)
        for p, ops in served_doc["paths"].items()
        for m, op in ops.items()
        if "application/json" in op.get("requestBody", {}).get("content", {})
    }
    assert live == {(m, p) for m, p, _ in JSON_ROUTES}
    assert len(live) > 20
    api_routes = {r.key for r in throwaway_app_routes() if r.kind == "api" and not r.safe}
    assert {f"{m} {p}" for m, p in live} <= api_routes


def answer_ok(method: str, path: str, status: int, text: str, sent: str) -> None:
    allowed = 502 if f"{method} {path}" in UPSTREAM else None
    assert status < 500 or status == allowed, f"{method} {path} with {sent[:600]!r}: {status} {text[:400]}"


@pytest.mark.parametrize(("method", "path", "schema"), JSON_ROUTES, ids=ROUTE_IDS)
def test_fuzzed_bodies_never_give_a_5xx(admin, engine, method, path, schema):
    guard = GUARDS.get(f"{method} {path}")

    @settings(SETTINGS, max_examples=FEWER.get(f"{method} {path}", SETTINGS.max_examples))
    @given(body=body_of(schema))
    def one(body: Any) -> None:
        if guard is not None and isinstance(body, dict):
            guard(body, engine)
        sent = json.dumps(body)
        answer = admin.request(
            method, url_of(path), content=sent, headers={"content-type": "application/json"}
        )
        answer_ok(method, path, answer.status_code, answer.text, sent)

    one()


MALFORMED = [
    "",
    "{",
    "[",
    '{"a":',
    "NaN",
    '{"x": NaN}',
    "Infinity",
    "1e999999",
    "-1e999999",
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    '"\\ud800"',
    "\xff\xfe",
    "null",
    "[]",
    "0",
    '"text"',
    '{"a": 1, "a": 2}',
    "9" * 5000,
]


@pytest.mark.parametrize(("method", "path", "schema"), JSON_ROUTES, ids=ROUTE_IDS)
def test_malformed_json_never_gives_a_5xx(admin, method, path, schema):
    for text in MALFORMED:
        answer = admin.request(
            method,
            url_of(path),
            content=text.encode("utf-8", "surrogatepass"),
            headers={"content-type": "application/json"},
        )
        answer_ok(method, path, answer.status_code, answer.text, text)
