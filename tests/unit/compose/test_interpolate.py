"""Interpolation: the CLI's template forms, errors with locations, typed casts."""

import pytest

from swarmdeck.compose import load
from swarmdeck.compose.interpolate import TemplateError, substitute

from .util import CORPUS, error_of, load_text

ENV = {"SET": "value", "EMPTY": "", "N": "3"}


@pytest.mark.parametrize(
    ("template", "expected", "unset"),
    [
        ("$SET", "value", []),
        ("${SET}", "value", []),
        ("pre-${SET}-post", "pre-value-post", []),
        ("${UNSET}", "", ["UNSET"]),
        ("$UNSET and ${ALSO}", " and ", ["UNSET", "ALSO"]),
        ("${UNSET:-default}", "default", []),
        ("${EMPTY:-default}", "default", []),
        ("${SET:-default}", "value", []),
        ("${UNSET-default}", "default", []),
        ("${EMPTY-default}", "", []),
        ("${UNSET:-$SET}", "$SET", []),  # defaults are literal
        ("$$SET", "$SET", []),
        ("$${SET}", "${SET}", []),
        ("cost: $$5", "cost: $5", []),
        ("${SET:?must be set}", "value", []),
        ("${EMPTY?may be empty}", "", []),
        ("${UNSET:?must-be-set}", "be-set", []),  # the CLI tries "-" before ":?"
        ("$SET-suffix", "value", []),  # unbraced: "-suffix" is a default, as in the CLI
        ("$UNSET-suffix", "suffix", []),
        ("${set}", "", ["set"]),  # names are case-sensitive
    ],
)
def test_template_forms(template, expected, unset):
    missing: dict[str, None] = {}
    assert substitute(template, ENV, missing) == expected
    assert list(missing) == unset


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("${UNSET:?needs a value}", "required variable UNSET is missing a value: needs a value"),
        ("${EMPTY:?not empty}", "required variable EMPTY is missing a value: not empty"),
        ("${UNSET?needed}", "required variable UNSET is missing a value: needed"),
        (
            "price: 5$",
            'invalid interpolation format: "price: 5$"; you may need to escape any $ with another $',
        ),
        ("${", 'invalid interpolation format: "${"; you may need to escape any $ with another $'),
        ("$1", 'invalid interpolation format: "$1"; you may need to escape any $ with another $'),
        ("${SET!}", 'invalid interpolation format: "${SET!}"; you may need to escape any $ with another $'),
    ],
)
def test_template_errors(template, message):
    with pytest.raises(TemplateError) as caught:
        substitute(template, ENV, {})
    assert str(caught.value) == message


def test_corpus_file_interpolates_with_casts_and_warnings():
    env = {
        "REGISTRY": "reg.local",
        "PLAIN_VALUE": "pv",
        "EMPTY_VALUE": "",
        "REPLICAS": "4",
        "RATIO": "0.5",
        "PORT": "8080",
        "TTY": "on",
    }
    result = load([CORPUS / "interpolation.yml"], env=env)
    app = result.project.services["app"]
    assert app.image == "reg.local/app:latest"
    assert app.environment == {
        "PLAIN": "pv",
        "BRACED": "pv",
        "SOFT_DEFAULT": "soft",
        "HARD_DEFAULT": "",
        "UNSET_HARD": "hard",
        "ESCAPED": "$HOME and ${HOME}",
        "REQUIRED": "pv",
        "MISSING": "",
    }
    assert app.deploy.replicas == 4
    assert app.deploy.update_config.max_failure_ratio == 0.5
    assert app.ports[0].published == 8080
    assert app.tty is True  # "on" is a boolean for a substituted typed value
    assert result.warnings == ['The "NOT_SET" variable is not set. Defaulting to a blank string.']


def test_casts_apply_only_where_substitution_happened():
    # "yes" written as is stays a string (YAML 1.2), so a boolean key refuses it ...
    error = error_of('services:\n  a:\n    image: x\n    tty: "yes"\n')
    assert str(error) == "docker-compose.yml:4:10: services.a.tty: must be a boolean"
    # ... while the same text coming from a variable is cast.
    result = load_text("services:\n  a:\n    image: x\n    tty: ${T}\n", env={"T": "yes"})
    assert result.project.services["a"].tty is True
    # A number as text is not a number unless substituted.
    error = error_of('services:\n  a:\n    image: x\n    deploy: {replicas: "2"}\n')
    assert str(error) == "docker-compose.yml:4:24: services.a.deploy.replicas: must be a integer"


def test_service_names_with_dots_get_no_casts_like_the_cli():
    error = error_of("services:\n  web.1:\n    image: x\n    deploy: {replicas: '${N}'}\n", env={"N": "2"})
    assert str(error) == "docker-compose.yml:4:24: services.web.1.deploy.replicas: must be a integer"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "image: ${IMAGE?set IMAGE}",
            "4:12: services.a.image: required variable IMAGE is missing a value: set IMAGE",
        ),
        (
            "deploy: {replicas: '${BAD}'}",
            "4:24: services.a.deploy.replicas: failed to cast to expected type: "
            'strconv.Atoi: parsing "two": invalid syntax',
        ),
        ("tty: ${BAD}", "4:10: services.a.tty: failed to cast to expected type: invalid boolean: two"),
        (
            "command: echo $",
            '4:14: services.a.command: invalid interpolation format: "echo $"; '
            "you may need to escape any $ with another $",
        ),
    ],
)
def test_interpolation_errors_name_the_place(line, message):
    error = error_of(f"services:\n  a:\n    x-pad: 1\n    {line}\n", env={"BAD": "two"})
    assert str(error) == f"docker-compose.yml:{message}"


def test_keys_are_not_interpolated_and_extensions_are():
    result = load_text("services:\n  a:\n    image: x\n    labels: {'${K}': v}\n", env={"K": "k"})
    assert result.project.services["a"].labels == {"${K}": "v"}
    error = error_of("x-anything: ${MUST?}\nservices: {}\n")
    assert str(error) == "docker-compose.yml:1:13: x-anything: required variable MUST is missing a value: "


def test_the_environment_is_only_what_the_caller_passes(monkeypatch):
    monkeypatch.setenv("SWARMDECK_TEST_ONLY_IN_OS", "os")
    result = load_text("services:\n  a:\n    image: x${SWARMDECK_TEST_ONLY_IN_OS}\n")
    assert result.project.services["a"].image == "x"
    assert result.warnings == [
        'The "SWARMDECK_TEST_ONLY_IN_OS" variable is not set. Defaulting to a blank string.'
    ]
