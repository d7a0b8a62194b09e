"""Layers only import downward (DESIGN.md): a module may import its own package and the
layers below it, never a layer beside or above it."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "swarmdeck"
# DESIGN.md's order, bottom up: the registry client may use the engine layer's reference parser;
# the swarm layer uses the compose layer's stack back end and is used by platform, console, cli.
RANK = {
    "errors": 0,
    "engine": 1,
    "registry": 2,
    "compose": 3,
    "images": 3,
    "store": 3,
    "swarm": 4,
    "machine": 4,
    "platform": 5,
    "console": 6,
    "cli": 7,
}


def imported_layers(path: Path) -> set[str]:
    layers = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "swarmdeck" and len(parts) > 1:
                layers.add(parts[1])
    return layers


def test_every_package_has_a_rank():
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert packages <= set(RANK), f"give these a place in the layers: {packages - set(RANK)}"


def test_imports_point_down():
    wrong = []
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC).parts
        if len(relative) == 1:
            continue  # swarmdeck/__init__.py, __main__.py, errors.py
        layer = relative[0]
        for other in imported_layers(path):
            if other != layer and RANK[other] >= RANK[layer]:
                wrong.append(f"{path.relative_to(SRC)} imports swarmdeck.{other}")
    assert not wrong, "\n".join(sorted(wrong))
