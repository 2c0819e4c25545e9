"""Who will be able to read what a person types, and when: said in one place, from the
campaign's disclosure policy (ledger.domain.disclosure)."""

from __future__ import annotations

from typing import Any

from ledger.domain.disclosure import policy_of


def notice(campaign: dict[str, Any] | None = None) -> str:
    """The sentence shown beside every form that signs something."""
    if policy_of(campaign) == "at_publication":
        return (
            "Nội dung ông/bà nhập (điểm, số liệu, ghi chú, giải trình, lý do, tên tệp) được ký "
            "và ghi vào sổ cái; Thường trực Hội đồng, thành viên Hội đồng thẩm định, thanh tra "
            "và cán bộ của chính đơn vị xem được ngay; công chúng chỉ xem được khi kết quả kỳ "
            "đánh giá được công bố."
        )
    return (
        "Nội dung ông/bà nhập (điểm, số liệu, ghi chú, giải trình, lý do, tên tệp) được ký "
        "bằng khóa của ông/bà và ghi vào sổ cái ngay khi gửi: kỳ đánh giá này công khai ngay, "
        "ai đọc được sổ cái đều xem được ngay, kèm tên và chức vụ của người ký, và không thể xóa."
    )


EVIDENCE_NOTICE = (
    "Tệp tải lên được lưu trên máy chủ; sổ cái ghi mã băm, tên, loại và kích thước tệp. "
    "Người có khóa đọc của hệ thống mở được tệp."
)
