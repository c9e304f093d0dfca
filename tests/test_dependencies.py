"""The install: every package Hearth's code imports is declared in pyproject.toml, and the
installed versions are ones the declared bounds allow."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import sys

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

OUR_PACKAGES = {"core", "webui", "desktop"}


def declared() -> list[Requirement]:
    with open(ROOT / "pyproject.toml", "rb") as file:
        project = tomllib.load(file)["project"]
    return [Requirement(line) for line in project["dependencies"]]


def third_party_imports() -> dict[str, set[str]]:
    """Top-level module → the files importing it, for every import (inside functions too)."""
    found: dict[str, set[str]] = {}
    for package in sorted(OUR_PACKAGES):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in OUR_PACKAGES | {"__future__"}:
                        continue
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_imported_package_is_declared():
    names = {canonicalize_name(r.name) for r in declared()}
    providers = metadata.packages_distributions()
    missing = []
    for module, files in sorted(third_party_imports().items()):
        distributions = {canonicalize_name(d) for d in providers.get(module, [])}
        if not distributions & names:
            where = ", ".join(sorted(files))
            installed = sorted(distributions) or "nothing installed"
            missing.append(f"{module} (from {installed}): {where}")
    assert not missing, "imported but not in pyproject's dependencies:\n" + "\n".join(missing)


def test_the_installed_versions_meet_the_declared_bounds():
    wrong = []
    for requirement in declared():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            version = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{requirement}: not installed")
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            wrong.append(f"{requirement}: {version} is installed")
    assert not wrong, "\n".join(wrong)


def test_the_sdks_bring_the_http_stack_the_providers_import():
    """The providers import httpx2 and hand its clients to the SDKs: the SDKs installed must be
    built on httpx2 too (openai 2.x and anthropic 0.x are built on httpx)."""
    assert "httpx2" in third_party_imports()
    for sdk in ("openai", "anthropic"):
        needs = [Requirement(r) for r in metadata.requires(sdk) or []]
        assert any(r.name == "httpx2" and r.marker is None for r in needs), (sdk, needs)
