"""User accounts (admins only): list, create, change role or password, remove."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from swarmdeck.console.api import models
from swarmdeck.console.api.auth import Credentials, user_model
from swarmdeck.console.context import ADMIN, audited, console
from swarmdeck.console.params import UserName
from swarmdeck.console.security import Principal
from swarmdeck.store import Role

router = APIRouter(tags=["users"])


class NewUser(Credentials):
    role: Role


class UserPatch(BaseModel):
    role: Role | None = None
    password: str | None = Field(default=None, max_length=1024)


@router.get("/users")
def list_users(request: Request, _: Principal = ADMIN) -> list[models.User]:
    return [user_model(u) for u in console(request).store.list_users()]


@router.post("/users", status_code=201)
def create_user(request: Request, body: NewUser, who: Principal = ADMIN) -> models.User:
    with audited(request, who, "user.create", target=f"{body.username} ({body.role.value})", endpoint=""):
        return user_model(console(request).store.create_user(body.username, body.password, body.role))


@router.patch("/users/{username}")
def update_user(request: Request, username: UserName, body: UserPatch, who: Principal = ADMIN) -> models.User:
    changes = ", ".join(k for k, v in body.model_dump().items() if v is not None)
    with audited(request, who, "user.update", target=f"{username}: {changes}", endpoint=""):
        return user_model(console(request).store.update_user(username, body.role, body.password))


@router.delete("/users/{username}")
def delete_user(request: Request, username: UserName, who: Principal = ADMIN) -> models.Status:
    with audited(request, who, "user.delete", target=username, endpoint=""):
        console(request).store.delete_user(username)
    return models.Status(status="deleted")
