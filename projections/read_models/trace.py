"""The trace of every score: who changed what, when, why, on which evidence, and where
in the log. One row per change of one leaf (or of the whole scorecard)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from ledger.domain.authorization import allowing_role
from ledger.domain.commands import COMMANDS
from ledger.domain.keyring import KeyRecord
from ledger.domain.points import format_points, plain
from ledger.domain.results import BOM
from ledger.domain.scorecard import LeafEntry, Scorecard

CARD_LEVEL = ""
TRACE_COLUMNS = (
    "leaf",
    "position",
    "recorded_at",
    "campaign",
    "unit",
    "criterion",
    "event_type",
    "from_points",
    "to_points",
    "why",
    "evidence",
    "key_id",
    "name",
    "title",
    "signer_unit",
    "role",
    "event_hash",
)


def _points(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def _text(value: Decimal | str | None) -> str | None:
    return value if isinstance(value, str) or value is None else plain(value)


def acting_role(signer: KeyRecord | None, command: dict[str, Any]) -> str:
    """The role under which the signer was allowed this command (docs/FORMATS.md §6)."""
    spec = COMMANDS.get(command["type"])
    if signer is None or spec is None:
        return ""
    # the event was judged when it was recorded: here its role is only named
    return allowing_role(spec, signer, command["args"], None) or ""


def trace_rows(
    card: Scorecard,
    event_type: str,
    body: dict[str, Any],
    command: dict[str, Any],
    signer: KeyRecord | None,
) -> list[dict[str, Any]]:
    """The trace rows of one scorecard event; ``card`` is the state before it."""
    who = {
        "key_id": command["key_id"],
        "signer": {
            "name": signer.name if signer else "",
            "title": signer.title if signer else "",
            "unit": signer.unit if signer else "",
        },
        "role": acting_role(signer, command),
    }
    code = body.get("criterion", CARD_LEVEL)
    entry = card.entries.get(code) or LeafEntry()
    files = sorted(entry.evidence)

    def row(
        criterion: str,
        before: Decimal | str | None,
        after: Decimal | str | None,
        why: str,
        evidence: list[str],
    ) -> dict[str, Any]:
        return {
            **who,
            "criterion": criterion,
            "from": _text(before),
            "to": _text(after),
            "why": why,
            "evidence": evidence,
        }

    if event_type == "SelfScoreRecorded":
        why = " — ".join(t for t in (body.get("note", ""), body.get("explanation", "")) if t)
        return [row(code, entry.self_points, body["points"], why, files)]
    if event_type in ("EvidenceAttached", "EvidenceRemoved"):
        label = "bổ sung khi giải trình: " if body.get("supplementary") else ""
        why = (
            body.get("reason", "")
            if event_type == "EvidenceRemoved"
            else (f"{label}{body['file_name']} ({body['media_type']}, {body['size']} B)")
        )
        return [row(code, None, None, why, [body["sha256"]])]
    if event_type == "AppraisalRecorded":
        return [row(code, entry.self_points, body["points"], body.get("reason", ""), files)]
    if event_type == "ExplanationRequested":
        return [row(code, None, None, body.get("note", ""), files)]
    if event_type == "ExplanationSubmitted":
        return [row(code, None, None, body["explanation"], files)]
    if event_type in ("AppraisalConfirmed", "AppraisalRevised"):
        before = entry.preliminary.points if entry.preliminary else None
        return [row(code, before, body["points"], body.get("reason", ""), files)]
    if event_type == "ExternalScoreRecorded":
        return [row(code, entry.external_points, body["points"], body["source_document"], [])]
    if event_type == "ScoreCorrected":
        return [row(code, body.get("previous_points"), body["points"], body["reason"], files)]
    if event_type == "SelfScoresAccepted" and not body["accepted"]:
        return [row(CARD_LEVEL, None, None, "mọi tiêu chí đều đã được thẩm định", [])]
    if event_type == "SelfScoresAccepted":
        return [
            row(
                leaf,
                (card.entries.get(leaf) or LeafEntry()).self_points,
                points,
                "chấp nhận điểm tự chấm (không thẩm định lại)",
                sorted((card.entries.get(leaf) or LeafEntry()).evidence),
            )
            for leaf, points in sorted(body["accepted"].items())
        ]
    if event_type == "AdjustmentRecorded":
        before = card.adjustments.get(body["code"])
        return [row(f"{body['kind']}:{body['code']}", before, body["points"], body["reason"], [])]
    why = {
        "ScorecardOpened": "mở phiếu đánh giá",
        "SelfAssessmentSubmitted": "gửi kết quả tự chấm",
        "ScorecardLockedAtDeadline": (
            f"hết hạn tự đánh giá ({body.get('deadline', '')}), khoá phiếu"
        ),
        "TargetsRecorded": f"chỉ tiêu năm {body.get('year', '')}: {body.get('note', '')}",
    }.get(event_type, event_type)
    return [row(CARD_LEVEL, None, None, why, [])]


def row_from_table(record: dict[str, Any]) -> dict[str, Any]:
    signer = json.loads(record["signer"])
    return {
        "leaf": None if record["leaf"] is None else int(record["leaf"]),
        "position": record["position"],
        "recorded_at": record["recorded_at"],
        "campaign": record["campaign"],
        "unit": record["unit"],
        "criterion": record["criterion"],
        "event_type": record["event_type"],
        "from_points": record["from_points"],
        "to_points": record["to_points"],
        "why": record["why"],
        "evidence": json.loads(record["evidence"]),
        "key_id": record["key_id"],
        "name": signer["name"],
        "title": signer["title"],
        "signer_unit": signer["unit"],
        "role": record["role"],
        "event_hash": record["event_hash"],
    }


def to_csv(rows: list[dict[str, Any]], precision: int | None = None) -> str:
    """The rows as CSV for spreadsheets: a byte-order mark first (Excel then reads UTF-8),
    and points at the set's ``precision`` so that a column has one number format."""

    def points(value: str | None) -> str | None:
        if value is None or precision is None:
            return value
        return format_points(Decimal(value), precision)

    out = io.StringIO()
    out.write(BOM)
    writer = csv.DictWriter(out, fieldnames=TRACE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                **row,
                "from_points": points(row["from_points"]),
                "to_points": points(row["to_points"]),
                "evidence": " ".join(row["evidence"]),
            }
        )
    return out.getvalue()


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2)
