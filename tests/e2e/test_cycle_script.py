"""The README's whole cycle from the command line is ``docs/cycle.sh``, shown unchanged in
the README, and it runs: init, units, keys, a set with every scoring rule, a campaign, the
self-scores, evidence, submission, appraisal, the explanation round, final appraisal,
settlement, publication and the offline check of the bundle.

The cycle's phases follow the clock (the schedule is set relative to now), so the script
waits for each deadline; its windows are widened when the machine is slow, measured by
the time one command takes to start here."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "cycle.sh"
BIN = Path(sys.executable).parent
README_BLOCK = re.compile(
    r"<!-- docs/cycle\.sh -->\n```sh\n(?P<body>.*?)```\n<!-- /docs/cycle\.sh -->", re.S
)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEDGER_")}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", PYTHONIOENCODING="utf-8")
    env.update(extra)
    return env


def _seconds_per_command(cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "parledger"), "--help"],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        check=True,
        timeout=120,
    )
    return time.perf_counter() - started


def _json(cwd: Path, *args: str) -> Any:
    result = subprocess.run(
        [str(BIN / "parledger"), *args, "--format", "json"],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_readme_shows_the_cycle_script_unchanged() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = README_BLOCK.search(readme)
    assert found, "the README has no <!-- docs/cycle.sh --> block"
    script = SCRIPT.read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash\n")
    assert found.group("body") == script.removeprefix("#!/usr/bin/env bash\n")


def test_the_cycle_script_runs_a_whole_campaign_to_a_verified_bundle(tmp_path: Path) -> None:
    per_command = _seconds_per_command(tmp_path)
    window = max(90, math.ceil(30 * per_command))
    round_ = max(30, math.ceil(8 * per_command))

    result = subprocess.run(
        ["bash", str(SCRIPT)],
        cwd=tmp_path,
        env=_env(COLUMNS="80", CYCLE_WINDOW=str(window), CYCLE_ROUND=str(round_)),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=window + 2 * round_ + 900,
    )

    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "Traceback" not in log
    assert "exactly the published table" in result.stdout
    assert "verified q1-2025.bundle" in result.stdout
    assert re.search(r"^published the results of Q1-2025: table [0-9a-f]{64}$", result.stdout, re.M)
    assert "Tổng điểm: 8.05 / 10.00" in result.stdout

    view = _json(tmp_path, "scorecard", "--campaign", "Q1-2025", "--unit", "Q1")
    leaves = {leaf["code"]: leaf for leaf in view["leaves"]}
    # free, free with a step, all or nothing, tiers (90 %), proportional, deduction
    assert {code: leaf["points"] for code, leaf in leaves.items()} == {
        "1.1": "1.5",
        "1.2": "1.25",
        "1.3": "1",
        "1.4": "1",
        "1.5": "1.8",
        "1.6": "1.5",
    }
    assert view["totals"]["preliminary"]["total"] == "7.85"  # 1.5 appraised at 80 %: 1.6
    assert view["totals"]["final"]["total"] == "8.05"  # explained, revised back to 1.8
    assert view["submitted_at"] is not None
    assert leaves["1.1"]["evidence"]["count"] == 1

    ranking = _json(tmp_path, "ranking", "--campaign", "Q1-2025")
    assert [(r["unit"], r["rank"], r["grade"]) for r in ranking] == [("Q1", 1, "Khá")]
    trace = _json(tmp_path, "trace", "--campaign", "Q1-2025", "--unit", "Q1", "--criterion", "1.5")
    assert [row["event_type"] for row in trace] == [
        "SelfScoreRecorded",
        "AppraisalRecorded",
        "ExplanationSubmitted",
        "AppraisalRevised",
    ]
