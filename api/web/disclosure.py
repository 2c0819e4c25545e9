"""Who will be able to read what a person types, and when: said in one place so that it follows
the ledger's disclosure rules as they change.

Today everything a command carries (scores, counts, notes, explanations, reasons, file names
and the files' hashes) is in the event, and the event's content is served by the log as soon
as it is recorded. A campaign's disclosure policy (content withheld until publication) will
change the sentence here, from the campaign's own definition."""

from __future__ import annotations

from typing import Any


def notice(campaign: dict[str, Any] | None = None) -> str:
    """The sentence shown beside every form that signs something."""
    policy = (campaign or {}).get("disclosure")
    if policy == "at_publication":
        return (
            "Nội dung ông/bà nhập (điểm, số liệu, ghi chú, giải trình, lý do, tên tệp) được ký "
            "và ghi vào sổ cái; người có khóa đọc của hệ thống xem được ngay, công chúng xem "
            "được khi kết quả kỳ đánh giá được công bố."
        )
    return (
        "Nội dung ông/bà nhập (điểm, số liệu, ghi chú, giải trình, lý do, tên tệp) được ký "
        "bằng khóa của ông/bà và ghi vào sổ cái ngay khi gửi: ai đọc được sổ cái đều xem được "
        "ngay, kèm tên và chức vụ của người ký, và không thể xóa."
    )


EVIDENCE_NOTICE = (
    "Tệp tải lên được lưu trên máy chủ; sổ cái ghi mã băm, tên, loại và kích thước tệp. "
    "Người có khóa đọc của hệ thống mở được tệp."
)
