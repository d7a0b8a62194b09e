"""Validate one file's located data into a ``Project`` and locate every problem found."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from swarmdeck.compose.errors import Problem
from swarmdeck.compose.located import LocDict, locate
from swarmdeck.compose.models import Project

# pydantic's error types, worded as the docker CLI words JSON-schema type errors.
_TYPE_MESSAGES = {
    "string_type": "must be a string",
    "bool_type": "must be a boolean",
    "int_type": "must be a integer",
    "float_type": "must be a number",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "list_type": "must be a list",
}


def validate_project(data: LocDict, warnings: list[str]) -> tuple[Project | None, list[Problem]]:
    """The project, or None and the problems (each with its file, line, column, path)."""
    try:
        return Project.model_validate(data, context={"warnings": warnings}), []
    except ValidationError as exc:
        problems: list[Problem] = []
        for error in exc.errors(include_url=False):
            problem = _problem(data, error)
            if problem not in problems:
                problems.append(problem)
        return None, problems


def _problem(data: LocDict, error: ErrorDetails) -> Problem:
    path: list[Any] = list(error["loc"])
    kind = error["type"]
    if kind == "compose":
        context = error.get("ctx") or {}
        path += list(context.get("subpath", ()))
        message = str(context.get("message", error["msg"]))
        at_key = message.startswith("Additional property")
        return Problem.at(locate(data, path, key=at_key), path[:-1] if at_key else path, message)
    if kind == "extra_forbidden":
        return Problem.at(
            locate(data, path, key=True), path[:-1], f"Additional property {path[-1]} is not allowed"
        )
    if kind == "missing":
        return Problem.at(locate(data, path[:-1]), path[:-1], f"{path[-1]} is required")
    return Problem.at(locate(data, path), path, _TYPE_MESSAGES.get(kind, error["msg"]))
