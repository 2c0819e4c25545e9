"""Every third-party module the code imports is a runtime dependency of the package, so
that ``pip install parledger`` (no extras) gives a command line that runs.

This reads the sources rather than the environment: the development venv holds the dev
extras too, so importing the CLI here would not notice a dependency declared only there.
``tests/e2e/test_plain_install.py`` proves the same by installing into a fresh venv."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "projections", "api")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(requirements: list[str]) -> set[str]:
    names = set()
    for requirement in requirements:
        found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        assert found, requirement
        names.add(_normal(found.group(0)))
    return names


def _imported_modules() -> dict[str, set[str]]:
    """Top-level module -> the source files that import it (absolute imports only)."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_a_runtime_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = _requirement_names(project["dependencies"])
    distributions = packages_distributions()
    third_party = {
        module: files
        for module, files in _imported_modules().items()
        if module not in sys.stdlib_module_names and module not in {*PACKAGES, "__future__"}
    }
    assert {"httpx", "typer", "cryptography"} <= set(third_party)  # the scan sees imports

    problems = []
    for module, files in sorted(third_party.items()):
        owners = {_normal(d) for d in distributions.get(module, [])}
        if not owners:
            problems.append(f"{module} (imported by {sorted(files)[0]}) is not installed")
        elif not owners & runtime:
            problems.append(
                f"{module} (imported by {sorted(files)[0]}) comes from {sorted(owners)}, "
                "which is not in [project] dependencies"
            )
    assert not problems, "; ".join(problems)
