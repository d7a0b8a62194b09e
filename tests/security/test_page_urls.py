"""Client-side path traversal (issue 10, item 4): no page builds a URL whose path a value can
steer. Every value a template puts in a URL's path goes through the ``segment`` filter (one
path segment, ``/`` and dot-segments included), every value in a query string through a query
encoder, and the scripts build their URLs with ``segment()``. These checks read every template
and script, so a new unsafe one fails here; test_browser_traversal.py replays the attack."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

import pytest

from swarmdeck.console import lists, tables
from swarmdeck.console.pages import TEMPLATES, segment
from tests.support.paths import REPO

CONSOLE = REPO / "src" / "swarmdeck" / "console"
TEMPLATE_DIR = CONSOLE / "templates"
SCRIPTS = sorted((CONSOLE / "static").glob("*.js"))  # our own; static/vendor is htmx

# Attributes whose value is a URL (htmx verbs, forms, links, SSE), and our data-* attributes
# that app.js/cluster.js turn into URLs; any other data-* whose value starts with "/" counts too.
URL_ATTRIBUTES = {
    "href",
    "src",
    "srcset",
    "action",
    "formaction",
    "poster",
    "cite",
    "ping",
    "hx-get",
    "hx-post",
    "hx-put",
    "hx-patch",
    "hx-delete",
    "hx-push-url",
    "hx-replace-url",
    "sse-connect",
    "ws-connect",
    "data-api",
    "data-cluster-api",
    "data-then",
    "data-follow",
    "data-swarm-map",
    "data-url",
}
# Whole URLs that come from the code, never from data: (template, expression).
CODE_PATHS = {
    ("_endpoint.html", "section"),  # the page's own path, a literal in pages*.py
    # The table macro's links: the page's path (a literal in pages*.py) with a query that
    # TableView builds with urlencode (test_the_table_links_encode_every_value checks it), and
    # the bulk actions' URL templates (literals in console/lists.py; table.js puts each
    # object's reference in with segment()).
    ("_table.html", "t.path"),
    ("_table.html", "t.url()"),
    ("_table.html", "t.sort_url(c.key)"),
    ("_table.html", "t.url(page=t.query.page - 1)"),
    ("_table.html", "t.url(page=t.query.page + 1)"),
    ("_table.html", "a.url"),
}
QUERY_ENCODERS = {"urlencode", "segment"}

JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TAG = re.compile(r"<[a-zA-Z][^>]*>")
ATTRIBUTE = re.compile(r"""([^\s"'=<>/]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
PLACEHOLDER = re.compile(r"\x00(\d+)\x00")
STRING = re.compile(r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"')
INNERMOST = re.compile(r"\([^()\[\]{}]*\)|\[[^()\[\]{}]*\]|\{[^()\[\]{}]*\}")
# One value (a name, a literal, a call, a subscript, a parenthesised expression) then its
# filters; in `page - 1|urlencode` the filter binds to `1` only: no encoded value.
FILTER_CHAIN = re.compile(r"(?:[\w.]+|G)(?:G|\.\w+)*(?:\s*\|\s*\w+G?)*\s*\|\s*(\w+)")


def encoder_of(expression: str) -> str | None:
    """The filter applied last to the whole of ``expression``, if any."""
    flat = STRING.sub("s", expression)
    while INNERMOST.search(flat):
        flat = INNERMOST.sub("G", flat)  # each bracketed group, innermost first, becomes G
    chain = FILTER_CHAIN.fullmatch(flat.strip())
    return chain.group(1) if chain else None


@dataclass(frozen=True)
class Unsafe:
    line: int
    attribute: str
    expression: str
    why: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.attribute}: {self.expression} {self.why}"


def unsafe_urls(text: str, template: str = "") -> list[Unsafe]:
    """The values that ``text`` (a template) interpolates into a URL without the right encoder."""
    tokens: list[tuple[int, str]] = []

    def hide(m: re.Match[str]) -> str:
        tokens.append((m.start(), m.group()))
        return f"\x00{len(tokens) - 1}\x00"

    masked = JINJA.sub(hide, text)  # expressions may hold quotes and ">": hide them first
    found: list[Unsafe] = []
    for tag in TAG.finditer(masked):
        for attr in ATTRIBUTE.finditer(tag.group()):
            name = attr.group(1).lower()
            value = next(v for v in attr.groups()[1:] if v is not None)
            literal = PLACEHOLDER.sub("", value)
            if not (name in URL_ATTRIBUTES or (name.startswith("data-") and literal.startswith("/"))):
                continue
            for ph in PLACEHOLDER.finditer(value):
                start, token = tokens[int(ph.group(1))]
                if not token.startswith("{{"):
                    continue  # {% if %} blocks choose literal text; only {{ }} writes values
                expression = token[2:-2].strip("-+ \t\n")
                in_query = bool(re.search(r"[?#]", PLACEHOLDER.sub("", value[: ph.start()])))
                encoder = encoder_of(expression)
                line = text.count("\n", 0, start) + 1
                if not in_query and ph.start() == 0 and (template, expression) in CODE_PATHS:
                    continue
                if in_query and encoder not in QUERY_ENCODERS:
                    found.append(Unsafe(line, name, token, "in a query string without |urlencode"))
                elif not in_query and encoder != "segment":
                    found.append(Unsafe(line, name, token, "in a URL path without |segment"))
    return found


TEMPLATE_FILES = sorted(p.name for p in TEMPLATE_DIR.glob("*.html"))


@pytest.mark.parametrize("template", TEMPLATE_FILES)
def test_every_value_in_a_template_url_is_encoded(template):
    problems = unsafe_urls((TEMPLATE_DIR / template).read_text(), template)
    assert not problems, f"{template}:\n" + "\n".join(map(str, problems))


def test_templates_have_no_inline_scripts():
    """Scripts come from static files only (what they build is checked below)."""
    for template in TEMPLATE_FILES:
        text = (TEMPLATE_DIR / template).read_text()
        for script in re.finditer(r"<script\b[^>]*>(.*?)</script>", text, re.S):
            assert script.group(1).strip() == "", f"{template}: inline script"


@pytest.mark.parametrize(
    "snippet",
    [
        '<button hx-delete="/api/stacks/{{ st.name }}" hx-swap="none">remove</button>',
        '<a href="/stacks/{{ st.name|urlencode }}?endpoint={{ ep|urlencode }}">x</a>',
        '<a href="/stacks/{{ st.name|e }}">x</a>',
        '<a href="/audit?page={{ page - 1|urlencode }}">',  # the filter binds to 1 only
        '<a href="/x/{{ a ~ b|segment }}">',
        '<a href="/x/{{ a|segment ~ "/" ~ b|segment }}">',
        "<form data-api='/api/users/{{ u.username }}' data-method=PATCH>",
        '<div\n  sse-connect="/api/{{ kind }}/stream">',
        '<pre data-follow="/api/containers/{{ c.Id|segment }}/logs?since={{ since }}">',
        '<p data-anything="/api/x/{{ v }}">',
        '<button hx-post="/api/{{ "a" if x else "b" }}/go">',
        "<a href={{ url }}>",
        '<a href="{{ url }}">',
    ],
)
def test_the_scan_finds_unsafe_urls(snippet):
    assert unsafe_urls(snippet), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        '<button hx-delete="/api/stacks/{{ st.name|segment }}" hx-confirm="Remove {{ st.name }}?">',
        '<a href="/stacks/{{ st.name | segment }}?endpoint={{ ep|urlencode }}">{{ st.name }}</a>',
        "<a href=\"/r/{{ r|segment }}/repository?{{ {'repository': repo}|urlencode }}\">",
        '<a href="/audit?{{ {"page": page - 1}|urlencode }}">',
        "<form data-api=\"/api/{{ ('a' if x else 'b')|segment }}\" data-then=\"reload\">",
        '<p data-endpoint="{{ ep }}" data-id="{{ c.id }}" class="{{ cls }}">',
        '<a href="/x/{{ (a ~ b)|segment }}/{{ c.d[0]|lower|segment }}/{{ f(x, "|")|segment }}">',
    ],
)
def test_the_scan_passes_encoded_urls(snippet):
    assert unsafe_urls(snippet) == [], snippet


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("../users/x", "..%2Fusers%2Fx"),
        ("..", "%252E%252E"),  # %2E%2E would still be a dot-segment to a browser
        (".", "%252E"),
        ("...", "..."),
        ("a/b?c#d%e f", "a%2Fb%3Fc%23d%25e%20f"),
        ("registry:5000/app:1", "registry%3A5000%2Fapp%3A1"),
        ("a\\..\\b", "a%5C..%5Cb"),  # browsers read "\" as "/" in http URLs
        ("<img src=x onerror=alert(1)>", "%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E"),
        ("x\r\ny", "x%0D%0Ay"),
        (42, "42"),
    ],
)
def test_segment_encodes_one_path_segment(value, encoded):
    assert segment(value) == encoded
    assert TEMPLATES.filters["segment"] is segment


DOT_SEGMENTS = {".", "..", "%2e", "%2e%2e", ".%2e", "%2e."}


def urls_in(html: str) -> list[tuple[str, str]]:
    return [
        (m.group(1), m.group(2))
        for m in re.finditer(r'\s((?:hx-[a-z]+|href|action|data-[a-z-]+))="(/[^"]*)"', html)
    ]


def test_a_rendered_stacks_page_never_climbs():
    """stacks.html and stack.html with the attack's names: every URL stays where it was meant."""
    names = ["../users/x", "..", ".", "%2e%2e", "a/../../users/x", '"><script>alert(1)</script>']
    base = dict(
        user=None,
        csrf="",
        can_operate=True,
        is_admin=True,
        ep="local",
        section="/stacks",
        endpoint_names=["local"],
    )
    stacks = [{"name": n, "services": 1, "running": 0, "replicas": 0} for n in names]
    html = TEMPLATES.get_template("stacks.html").render(
        **base,
        tv=tables.show(lists.STACKS, stacks, tables.TableQuery(q="", per_page=100), "/stacks"),
        templates=[{"key": n, "title": n, "description": n, "builtin": False, "username": n} for n in names],
    )
    for n in names:
        html += TEMPLATES.get_template("stack.html").render(
            **base, stack={"name": n, "services": [], "tasks": []}, versions=[], current=None, current_env=""
        )
    urls = urls_in(html)
    stack_urls = [u for a, u in urls if u.startswith(("/stacks/", "/api/stacks/")) and a != "data-url"]
    # stacks.html: link and remove; stack.html: remove and its live part's refresh
    assert len(stack_urls) == 4 * len(names)
    template_urls = [u for _, u in urls if u.startswith("/api/templates/")]
    assert len(template_urls) == len(names)  # an admin's remove button each
    for url in template_urls:
        assert url.count("/") == 3 and url.split("/")[3] not in (".", ".."), url
    for attribute, url in urls:
        path = url.split("?")[0]
        assert not DOT_SEGMENTS & {s.lower() for s in path.split("/")}, (attribute, url)
        if path.startswith(("/stacks/", "/api/stacks/")):
            assert path.count("/") == path.startswith("/api/") + 2, (attribute, url)  # one segment
    assert "<script>alert(1)" not in html


def test_the_table_links_encode_every_value():
    """What a user types into a list's search (and any page parameter) reaches its links only
    query-encoded: the path stays the page's own."""
    hostile = '../x?y=1&z=<b>"/#frag'
    view = tables.show(
        lists.STACKS,
        [],
        tables.TableQuery(q=hostile, sort="name", dir="desc", page=2),
        "/stacks",
        [("endpoint", "a/../b&c")],
    )
    for url in (view.url(), view.url(page=3), view.sort_url("name")):
        path, _, query = url.partition("?")
        assert path == "/stacks", url
        assert all(c not in query for c in '<>"# /'), url
        assert dict(urllib.parse.parse_qsl(query))["q"] == hostile


# --- the scripts --------------------------------------------------------------------------
TEMPLATE_LITERAL = re.compile(r"`(/[^`]*)`")
STRING_PLUS = re.compile(r"""(["'])/[^"'\n]*\1\s*\+""")


def unsafe_script_urls(source: str) -> list[str]:
    """URLs a script builds from values: template literals starting with "/" whose
    interpolations in the path are not segment(...), and "/..." + value concatenations."""
    found = []
    for m in TEMPLATE_LITERAL.finditer(source):
        body = m.group(1)
        for ph in re.finditer(r"\$\{([^}]*)\}", body):
            before = re.sub(r"\$\{[^}]*\}", "", body[: ph.start()])
            if re.search(r"[?#]", before):
                continue  # query: URLSearchParams or encodeURIComponent are fine there
            if not re.fullmatch(r"\s*segment\(.*\)\s*", ph.group(1)):
                found.append(f"`{body}`: ${{{ph.group(1)}}} in a path without segment()")
    found += [f"{m.group()} (a URL concatenated from a value)" for m in STRING_PLUS.finditer(source)]
    return found


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_build_url_paths_with_segment(script):
    assert unsafe_script_urls(script.read_text()) == []


def test_the_script_scan_finds_unsafe_urls():
    assert unsafe_script_urls("fetch(`/api/stacks/${name}/deploy`)")
    assert unsafe_script_urls("fetch(`/api/stacks/${encodeURIComponent(name)}`)")  # keeps ".."
    assert unsafe_script_urls('fetch("/api/stacks/" + name)')
    assert unsafe_script_urls("fetch('/api/users/' +name)")
    assert not unsafe_script_urls("fetch(`/api/stacks/${segment(name)}/x?since=${since}`)")
    assert "function segment(" in (CONSOLE / "static" / "app.js").read_text()
