"""Every app's tests are collected: an app missing from testpaths would pass CI untested."""

import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_every_project_app_with_tests_is_in_pytests_testpaths():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    testpaths = set(config["tool"]["pytest"]["ini_options"]["testpaths"])
    ours = {
        Path(app.path).relative_to(ROOT).parts[0]
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(ROOT) and ".venv" not in Path(app.path).parts
    }
    with_tests = {name for name in ours if any((ROOT / name).rglob("test_*.py"))}

    assert with_tests - testpaths == set()
