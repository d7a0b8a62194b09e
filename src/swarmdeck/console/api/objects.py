"""The JSON API of a swarm's secrets and configs: list (with the services using each), show,
create (from text or an uploaded file), remove; on the endpoint in ``?endpoint=NAME`` as the
other swarm routes.

The work is ``swarm.objects``'s, which the CLI's ``secret`` and ``config`` verbs use too, so
both faces agree. A secret's value goes to the engine and never comes back: no answer, page or
audit entry holds it (the audit names the object only). A config's content is shown. Removing
one a service uses is the engine's refusal, naming the service. Reads need a read-only user,
changes an operator; every change is audited with its endpoint.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the routes' annotations, made
# per kind below, at run time.
import json
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import AfterValidator

from swarmdeck.console.api import models
from swarmdeck.console.api.swarm import changing, naming
from swarmdeck.console.context import OPERATE_ON, READ_ON, Target
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.params import ConfigRef, SecretRef
from swarmdeck.engine import names
from swarmdeck.swarm import objects
from swarmdeck.swarm.objects import Kind, ObjectDetail, ObjectUse

router = APIRouter()
MAX_DATA = 1024 * 1024  # read at most this much of an upload; the engine's own limits are below it
MAX_LABELS = 16 * 1024


def _data(text: str | None, upload: UploadFile | None) -> bytes:
    """The value from exactly one of the text and the file; refused (422) otherwise."""
    has_file = upload is not None and bool(upload.filename)
    if bool(text) == has_file:
        raise ConsoleError("give the value either as text or as a file (one of them, not empty)", 422)
    if text:
        data = text.encode()
    else:
        assert upload is not None
        data = upload.file.read(MAX_DATA + 1)
    if not data:
        raise ConsoleError("the value is empty", 422)
    if len(data) > MAX_DATA:
        raise ConsoleError(f"the value is larger than {MAX_DATA} bytes", 422)
    return data


def _labels(text: str | None) -> dict[str, str]:
    """Labels from a JSON object of strings (the form's field); refused (422) otherwise."""
    if not text:
        return {}
    try:
        found = json.loads(text)
    except ValueError as exc:
        raise ConsoleError(f"labels: not valid JSON: {exc}", 422) from None
    if not isinstance(found, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in found.items()
    ):
        raise ConsoleError('labels: give a JSON object of strings, e.g. {"team": "web"}', 422)
    return found


def _add_routes(kind: Kind, ref_type: Any) -> None:
    plural = f"{kind}s"
    name_type = Annotated[
        str,
        Form(min_length=1, max_length=64, description=f"the {kind}'s name: {names.GRAMMARS[kind].hint}"),
        AfterValidator(partial(names.check, kind)),
    ]

    def list_all(request: Request, t: Target = READ_ON) -> list[ObjectUse]:
        with naming(t.endpoint):
            return objects.list_with_users(t.client, kind)

    def show(request: Request, ref: ref_type, t: Target = READ_ON) -> ObjectDetail:
        with naming(t.endpoint):
            return objects.detail(t.client, kind, ref)

    def create(
        request: Request,
        name: name_type,
        t: Target = OPERATE_ON,
        text: Annotated[str | None, Form(max_length=MAX_DATA, description="the value as text")] = None,
        file: Annotated[UploadFile | None, File(description="the value as a file")] = None,
        labels: Annotated[str | None, Form(max_length=MAX_LABELS, description="a JSON object")] = None,
    ) -> ObjectDetail:
        with changing(request, t, f"{kind}.create", target=name) as client:
            data = _data(text, file)
            found = _labels(labels)
            object_id = objects.create(client, kind, name, data, found)
        with naming(t.endpoint):
            return objects.detail(t.client, kind, object_id)

    def remove(request: Request, ref: ref_type, t: Target = OPERATE_ON) -> models.Status:
        with changing(request, t, f"{kind}.remove", target=ref) as client:
            objects.remove_one(client, kind, ref)
        return models.Status(status="removed")

    doc = {
        "secret": "a secret (its value is never shown back)",
        "config": "a config (its content is shown)",
    }[kind]
    router.add_api_route(
        f"/{plural}",
        list_all,
        methods=["GET"],
        tags=[plural],
        name=f"list_{plural}",
        summary=f"Every {kind} with the services using it",
    )
    router.add_api_route(
        f"/{plural}",
        create,
        methods=["POST"],
        status_code=201,
        tags=[plural],
        name=f"create_{kind}",
        summary=f"Create {doc} from text or an uploaded file (multipart)",
    )
    router.add_api_route(
        f"/{plural}/{{ref}}",
        show,
        methods=["GET"],
        tags=[plural],
        name=f"get_{kind}",
        summary=f"Show {doc} with the services using it",
    )
    router.add_api_route(
        f"/{plural}/{{ref}}",
        remove,
        methods=["DELETE"],
        tags=[plural],
        name=f"remove_{kind}",
        summary=f"Remove a {kind} (refused while a service uses it, naming the service)",
    )


_add_routes("secret", SecretRef)
_add_routes("config", ConfigRef)
