"""The history of a leaf (Lịch sử thay đổi): the trace read model's rows, in words, each with
whether its event's signature verifies against the signer's enrolled key and its content
against its recorded hash, checked on the stored event itself when the page is made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.http.service import Service
from api.web import format as fmt
from ledger.core.canonical import sha256_hex
from ledger.core.errors import LedgerError
from ledger.core.events import event_bytes
from ledger.domain.base import LedgerAggregate
from ledger.domain.keyring import ROLE_TITLES, Keyring

ACTS = {
    "SelfScoreRecorded": "Tự chấm điểm",
    "EvidenceAttached": "Đính kèm TLKC",
    "EvidenceRemoved": "Gỡ TLKC",
    "AppraisalRecorded": "Thẩm định lần 1 (sơ bộ)",
    "ExplanationRequested": "Yêu cầu giải trình",
    "ExplanationSubmitted": "Giải trình",
    "AppraisalConfirmed": "Thẩm định lần 2: giữ điểm",
    "AppraisalRevised": "Thẩm định lần 2: sửa điểm",
    "ExternalScoreRecorded": "Ghi điểm từ nguồn khác",
    "ScoreCorrected": "Đính chính điểm",
    "SelfScoresAccepted": "Chấp nhận điểm tự chấm",
    "SelfAssessmentSubmitted": "Gửi kết quả tự chấm",
    "ScorecardLockedAtDeadline": "Khóa khi hết hạn",
    "ScorecardOpened": "Mở phiếu đánh giá",
    "AdjustmentRecorded": "Điểm thưởng / trừ",
    "TargetsRecorded": "Chỉ tiêu năm sau",
}


@dataclass(frozen=True)
class HistoryRow:
    position: int
    leaf: int | None  # the event's leaf index in the transparency log, as the proof names it
    when: str
    act: str
    name: str
    title: str
    role: str
    before: str
    after: str
    why: str
    evidence: list[str]
    event_hash: str
    proof: str  # the event's inclusion proof under /v1/log/events/
    signature_valid: bool
    unit: str = ""
    criterion: str = ""
    event_type: str = ""
    signer_unit: str = ""


def _check(svc: Service, position: int, keyring: Keyring) -> tuple[bool, str]:
    """Whether the stored event at ``position`` verifies, and its id for the proof link."""
    ledger = svc.ledger
    found = ledger.recorder.select_notifications(position, 1)
    if not found or found[0].id != position:
        return False, ""
    try:
        event = ledger.mapper.to_domain_event(found[0])
    except Exception:  # an unreadable row is shown as not verifying
        return False, ""
    if not isinstance(event, LedgerAggregate.Event):
        return False, ""
    event_id = f"{event.originator_id}/{event.originator_version}"
    try:
        command = event.signed
        signer = keyring.get(command.key_id)
        content = sha256_hex(
            event_bytes(
                aggregate_type="Scorecard",
                aggregate_id=event.originator_id,
                version=event.originator_version,
                event_type=event.event_type,
                recorded_at=event.timestamp,
                prev_hash=event.prev_hash,
                body=event.body,
                command=event.command,
            )
        )
    except LedgerError:
        return False, event_id
    valid = (
        signer is not None
        and command.signature_valid(signer.public_key)
        and content == event.event_hash
    )
    return valid, event_id


def rows(
    svc: Service, campaign: str, unit: str, criterion: str, timezone: str, precision: int
) -> list[HistoryRow]:
    return in_words(svc, svc.reads.trace(campaign, unit, criterion), timezone, precision)


def in_words(
    svc: Service, trace: list[dict[str, Any]], timezone: str, precision: int
) -> list[HistoryRow]:
    """Trace rows (projections.read_models.trace) in words, each with its signature checked."""
    keyring = svc.ledger.keyring()
    checks = {row["position"]: _check(svc, row["position"], keyring) for row in trace}
    found = []
    for row in trace:
        valid, event_id = checks[row["position"]]
        found.append(
            HistoryRow(
                position=row["position"],
                leaf=row["leaf"],
                when=fmt.short_date_time(row["recorded_at"], timezone),
                act=ACTS.get(row["event_type"], row["event_type"]),
                name=row["name"],
                title=row["title"],
                role=ROLE_TITLES.get(row["role"], row["role"]),
                before=_points(row["from_points"], precision),
                after=_points(row["to_points"], precision),
                why=row["why"],
                evidence=list(row["evidence"]),
                event_hash=row["event_hash"],
                proof=f"/v1/log/events/{event_id}" if event_id else "",
                signature_valid=valid,
                unit=row["unit"],
                criterion=row["criterion"],
                event_type=row["event_type"],
                signer_unit=row["signer_unit"],
            )
        )
    return found


def _points(value: Any, precision: int) -> str:
    return "" if value is None else fmt.number(str(value), precision)
