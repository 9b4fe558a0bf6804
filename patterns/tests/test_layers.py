"""The patterns app's modules import downwards only: the executor never imports the services
or the tasks, steps never import the executor or the services, and the run task is sent by
name. A circle here is what made every one of them import the others inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def modules_under(folder: str) -> list[Path]:
    return sorted((APP / folder).glob("*.py"))


@pytest.mark.parametrize("path", modules_under("executor"), ids=lambda path: path.name)
def test_the_executor_imports_neither_services_nor_tasks(path):
    imported = imported_modules(path)
    assert not imported & {"patterns.services", "patterns.tasks", "patterns.views"}


@pytest.mark.parametrize("path", modules_under("steps"), ids=lambda path: path.name)
def test_steps_import_neither_the_executor_nor_the_services(path):
    imported = imported_modules(path)
    assert not {name for name in imported if name.startswith("patterns.executor")}
    assert "patterns.services" not in imported
    assert "patterns.tasks" not in imported


@pytest.mark.parametrize("name", ["services.py", "dispatch.py", "runs.py"])
def test_nothing_below_the_tasks_imports_them(name):
    assert "patterns.tasks" not in imported_modules(APP / name)


def test_every_executor_module_is_a_real_module_with_one_job():
    names = {path.stem for path in modules_under("executor")}
    assert names == {"__init__", "commits", "leases", "rows", "runner", "timeouts"}
