"""``pip install .`` with no extras, into a fresh virtual environment, gives a command
line that works: ``--help``, the demo, a bundle and its offline check.

This is how a journalist or an inspector installs the verifier; a module imported at run
time but declared only among the dev extras makes it fail with ModuleNotFoundError. The
package is installed from a copy of the source tree (not in editable mode), so a data file
missing from the package would fail here too."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LEFT_OUT = (".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")
INSTALL_TIMEOUT = 900
RUN_TIMEOUT = 300


def _env() -> dict[str, str]:
    """The caller's environment without anything that points at the development venv or
    configures a ledger."""
    drop = ("PARLEDGER_", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(COLUMNS="200", PYTHONIOENCODING="utf-8", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def _run(args: list[str], cwd: Path, timeout: int = RUN_TIMEOUT) -> str:
    result = subprocess.run(
        args,
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def test_pip_install_without_extras_gives_a_working_verifier(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*LEFT_OUT))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    work = tmp_path / "work"
    work.mkdir()

    _run(
        [str(python), "-m", "pip", "install", "--quiet", str(source)],
        work,
        timeout=INSTALL_TIMEOUT,
    )

    installed = _run([str(python), "-m", "pip", "list", "--format=freeze"], work)
    names = {line.split("==")[0].lower() for line in installed.split()}
    assert "parledger" in names
    assert not names & {"pytest", "hypothesis", "ruff", "mypy", "schemathesis"}, names
    where = _run([str(python), "-c", "import api.cli.main, ledger; print(ledger.__file__)"], work)
    assert Path(where.strip()).is_relative_to(env_dir), where
    assert sys.prefix != str(env_dir)

    parledger = str(env_dir / "bin" / "parledger")
    assert "verify-bundle" in _run([parledger, "--help"], work)
    demo = _run([parledger, "demo"], work)
    assert "88.54" in demo
    assert "published HN-SH-2023" in demo
    _run([parledger, "bundle", "--campaign", "HN-SH-2023", "-o", "hn.bundle"], work)
    log_key = _run([parledger, "log-key"], work).strip()
    assert log_key.startswith("parledger.local/demo+")

    verified = _run([parledger, "verify-bundle", "hn.bundle", "--log-key", log_key], work)

    assert "exactly the published table" in verified
    assert "verified hn.bundle" in verified
