"""The single-host back end: a compose project on one engine, as Compose v2 runs it.

Public API::

    from swarmdeck.compose.project import load_plan, up, down, ps, logs

    plan = load_plan(["docker-compose.yml"], env=dict(os.environ), name=None)
    plan.warnings                      # what `compose up` prints before starting
    events = up(client, plan)          # [Event("Container", "p-web-1", "Started"), ...]
    ps(client, plan.name)              # [Row(name, image, service, state, status, ports)]
    logs(client, plan.name, print, services=["web"], follow=False)
    down(client, plan.name, volumes=False, timeout=None)

Modules: ``names`` (project name, labels), ``plan`` (model -> ``ProjectPlan``, no engine),
``containers`` (one replica -> create request), ``up``, ``down``, ``query`` (ps, logs),
``resume`` (what an ``up`` killed half-way left, taken back).
Failures are ``ProjectError`` (engine side) or ``ComposeError`` (the files).
"""

from swarmdeck.compose.project.down import down
from swarmdeck.compose.project.engine import Event
from swarmdeck.compose.project.errors import ProjectError
from swarmdeck.compose.project.plan import ProjectPlan, load_plan, plan_project
from swarmdeck.compose.project.query import Row, logs, ps
from swarmdeck.compose.project.up import up

__all__ = [
    "Event",
    "ProjectError",
    "ProjectPlan",
    "Row",
    "down",
    "load_plan",
    "logs",
    "plan_project",
    "ps",
    "up",
]
