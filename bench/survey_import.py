"""Survey import benchmark: a SIPAS answer file of 1,000,000 answers, streamed through the
row checks and tallies, then imported whole (hash, checks, the private copy, the signed
batch, the results and the points on the cards) into a fresh SQLite ledger.

    .venv/bin/python bench/survey_import.py --answers 1000000

It writes the file to a temporary directory (24 SIPAS questions × 10 units × as many
respondents as it takes; every 17th answer blank), then prints the file's size, the time
and peak Python allocation of reading and tallying it, and the time of the whole import,
and the process's peak resident memory. The file is read as a stream: the peak allocation grows
with the number of distinct respondents (counted, each with a bit per question answered
to find a second answer to the same question), not with the rows."""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.bootstrap import open_runtime
from ledger.application.local_client import initialise, send
from ledger.application.settings import Settings
from ledger.application.survey_import import batch_args, check_answer_file, private_files
from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey
from ledger.core.ids import survey_id
from ledger.demo.surveys import sipas_definition

UNITS = [f"P{n:02d}" for n in range(10)]
START = datetime(2023, 1, 10, 2, 0, tzinfo=UTC)
MILESTONES = (
    "self_assessment_opens",
    "self_assessment_closes",
    "preliminary_appraisal_closes",
    "explanation_closes",
    "final_appraisal_closes",
)
SET = {
    "code": "B-SET",
    "version": 1,
    "title": "Bench",
    "precision": 3,
    "nodes": [
        {"code": "1", "level": "area", "title": "Chỉ đạo", "max_points": "1"},
        {
            "code": "1.1",
            "level": "criterion",
            "title": "Kế hoạch",
            "max_points": "1",
            "score_source": "appraisal",
        },
        {"code": "8", "level": "area", "title": "Hài lòng", "max_points": "10"},
        {
            "code": "8.1",
            "level": "criterion",
            "title": "SIPAS",
            "max_points": "10",
            "score_source": "sipas",
        },
    ],
}


def write_answers(path: Path, answers: int, questions: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["respondent", "unit", "question", "answer"])
        for n in range(answers):
            person, question = divmod(n, len(questions))
            answer = "" if n % 17 == 0 else "12345"[(person * 7 + n) % 5]
            writer.writerow(
                [f"R{person:07d}", UNITS[person % len(UNITS)], questions[question], answer]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        definition_data = {**sipas_definition("B-2023", UNITS[0]), "units": UNITS}
        definition_data.pop("benchmarks")
        questions = [q["code"] for e in definition_data["elements"] for q in e["questions"]]
        path = home / "answers.csv"
        started = time.perf_counter()
        write_answers(path, args.answers, questions)
        print(
            f"wrote {args.answers:,} answers ({path.stat().st_size / 1e6:.1f} MB) in "
            f"{time.perf_counter() - started:.2f} s"
        )

        clock = ManualClock(START)
        admin, server = SigningKey.generate(), SigningKey.generate()
        settings = Settings(database_url=f"sqlite:///{home}/ledger.sqlite3", home=home / "var")
        runtime = open_runtime(settings, clock=clock, server_key=server, project=False)
        ledger = runtime.ledger
        initialise(ledger, admin, server, admin_name="Bench")
        for code in UNITS:
            send(ledger, admin, "register_unit", {"code": code, "name": code, "kind": "province"})
        send(ledger, admin, "define_indicator_set", SET)
        schedule = {
            name: (START + timedelta(days=d)).isoformat()
            for name, d in zip(MILESTONES, (0, 30, 45, 52, 60), strict=True)
        }
        campaign = {
            "code": "B-2023",
            "year": 2023,
            "title": "Bench",
            "indicator_set": "B-SET",
            "indicator_set_version": 1,
            "units": UNITS,
            "schedule": schedule,
        }
        send(ledger, admin, "create_campaign", campaign)
        surveyor = SigningKey.generate()
        send(
            ledger,
            admin,
            "enrol_key",
            {
                "public_key": surveyor.public_key,
                "name": "Survey body",
                "roles": [{"role": "survey_body", "scope": []}],
            },
        )
        send(ledger, surveyor, "define_survey", definition_data)
        survey = ledger.aggregate(survey_id(definition_data["code"]))

        started = time.perf_counter()
        checked = check_answer_file(path, survey.definition)
        tally_seconds = time.perf_counter() - started
        # the allocation is traced in a run of its own: tracing slows Python down manyfold
        tracemalloc.start()
        check_answer_file(path, survey.definition)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert checked.ok, checked.tally.errors[:3]
        print(
            f"read, checked and tallied {checked.tally.rows:,} rows in {tally_seconds:.2f} s "
            f"({checked.tally.rows / tally_seconds:,.0f} rows/s), peak Python allocation "
            f"{peak / 1e6:.2f} MB"
        )

        started = time.perf_counter()
        checked = check_answer_file(path, survey.definition)
        with path.open("rb") as handle:
            private_files(settings.evidence_dir).put(handle)
        receipt = send(ledger, surveyor, "import_survey_batch", batch_args(survey, checked))
        whole = time.perf_counter() - started
        survey = ledger.aggregate(survey_id(definition_data["code"]))
        overall = survey.results["units"][UNITS[0]]["overall"]
        print(
            f"whole import (hash, checks, private copy, signed batch, results, points on "
            f"{len(UNITS)} cards) in {whole:.2f} s; log position {receipt.position}; "
            f"{UNITS[0]} overall {overall}"
        )
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak resident memory of the process: {peak_rss:.0f} MB")
        ledger.close()


if __name__ == "__main__":
    main()
