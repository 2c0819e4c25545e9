"""Writes tests/vectors/canonical.json: JSON values and their RFC 8785 bytes (as text),
made by the reference package. Run it again only to add cases; the tests check every case
against both Python implementations and the browser's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import rfc8785

CASES: list[tuple[str, Any]] = [
    ("empty object", {}),
    ("empty array", []),
    ("scalars", [None, True, False, 0, -1, 1, 9007199254740991, -9007199254740991, ""]),
    (
        "a command with Vietnamese text",
        {
            "type": "record_self_score",
            "args": {
                "campaign": "HN-SH-2023",
                "unit": "SNV",
                "criterion": "3.4",
                "inputs": {"numerator": 1176, "denominator": 1200},
                "note": "Số liệu theo báo cáo CCHC năm 2023 của đơn vị",
                "explanation": "24 hồ sơ quá hạn do công dân bổ sung hồ sơ; "
                "thời hạn tính lại từ ngày nhận đủ hồ sơ hợp lệ.",
            },
            "issued_at": "2024-01-25T03:00:00.000Z",
            "key_id": "1dddc53b5389eabce602139fc30bbd36",
            "ledger": "parledger.local/demo",
            "nonce": "9f2c8a0e4b7d1c3f5a6e8b0d2c4f6a8e",
        },
    ),
    ("decimal strings", {"points": "1.424", "max": "0.50", "target": "100", "zero": "0"}),
    ("nested arrays", [[[]], [[1, [2, [3, []]]]], [{}], [{"a": [{"b": []}]}]]),
    (
        "escapes of every control character",
        "".join(chr(c) for c in range(0x20)) + '\u007f"\\/',
    ),
    ("quotes and backslashes in names", {'a"b': 1, "a\\b": 2, "a/b": 3}),
    ("line and paragraph separators", "dòng\u2028đoạn\u2029hết"),
    ("astral characters", {"text": "𝄞 nhạc 😀 cười 𠀀 chữ Nôm"}),
    (
        "names whose UTF-16 order differs from their code point order",
        {"\ue000": "riêng", "😀": "cười", "\uffff": "cuối", "𝄞": "nhạc", "z": "la tinh"},
    ),
    (
        "Vietnamese names",
        {"điểm": "1.5", "tiêu chí": "3.4", "lĩnh vực": "3", "Điểm": "hoa", "dieu": "không dấu"},
    ),
    ("names in code point order with digits", {"10": "a", "9": "b", "1": "c", "": "rỗng"}),
    (
        "combining and precomposed forms stay as given",
        {"precomposed": "Việt", "combining": "Vie\u0323\u0302t"},
    ),
    (
        "an enrolment request",
        {
            "purpose": "parledger-enrolment-request-v1",
            "ledger": "parledger.local/demo",
            "request": {
                "public_key": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
                "name": "Nguyễn Thị Thu Trang",
                "title": "Chuyên viên",
                "unit": "Sở Tư pháp",
                "roles": [{"role": "unit_staff", "scope": ["STP"]}],
            },
        },
    ),
]


def main() -> None:
    vectors = [
        {"name": name, "value": value, "canonical": rfc8785.dumps(value).decode("utf-8")}
        for name, value in CASES
    ]
    path = Path(__file__).with_name("canonical.json")
    path.write_text(json.dumps(vectors, ensure_ascii=True, indent=1) + "\n", encoding="ascii")


if __name__ == "__main__":
    main()
