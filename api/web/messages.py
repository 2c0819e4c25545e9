"""What a refusal means, in Vietnamese, by the problem's ``code`` (RFC 9457 problems of the
API, and the same codes from the page's own rule check): what is wrong and what to do.

One table for the server-rendered pages and the page scripts, which fetch it as JSON
(``/giao-dien/thong-bao.json``). ``{criterion}``, ``{points}``, ``{max}`` and ``{step}``
are filled from the form the person was filling in, ``{value}`` from an answer file's bad
row; a message never needs more."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # the rule's inputs
    "above_maximum": "Điểm {points} vượt quá điểm tối đa {max} của tiêu chí {criterion}.",
    "off_step": "Điểm {points} không phải là bội số của {step} (tiêu chí {criterion}).",
    "negative_count": "Số liệu không được âm; hãy nhập số nguyên từ 0.",
    "numerator_above_denominator": "Số đạt yêu cầu không được lớn hơn tổng số.",
    "zero_denominator": "Tổng số bằng 0 mà cách tính điểm của tiêu chí này không cho phép; "
    "hãy nhập tổng số lớn hơn 0.",
    "rule_input_mismatch": "Số liệu nhập không đúng với cách tính điểm của tiêu chí {criterion}.",
    "no_tier": "Tỷ lệ tính được không thuộc mức nào của tiêu chí {criterion}.",
    "invalid_points": "Hãy nhập điểm là một số không âm, ví dụ 1,25 (tối đa {max}).",
    "invalid_count": "Hãy nhập một số nguyên từ 0.",
    "missing_input": "Hãy nhập đủ số liệu của tiêu chí {criterion}.",
    "too_many_decimals": "Điểm {points} có nhiều chữ số thập phân hơn bộ chỉ số cho phép.",
    "reason_required": "Điểm thẩm định khác điểm tự đánh giá: hãy ghi lý do.",
    "explanation_required": "Hãy viết nội dung giải trình.",
    "confirmation_mismatch": "Mã xác nhận chưa đúng: hãy gõ đúng mã đơn vị.",
    "file_required": "Hãy chọn tệp tài liệu kiểm chứng.",
    # the secretariat's and the publisher's acts
    "confirmation_code_mismatch": "Mã xác nhận chưa đúng: hãy gõ đúng mã kỳ đánh giá ghi ở trên.",
    "units_required": "Hãy chọn ít nhất một đơn vị tham gia kỳ đánh giá.",
    "invalid_time": "Hãy nhập đủ ngày và giờ của mốc thời hạn này.",
    "campaign_exists": "Đã có kỳ đánh giá mang mã này; hãy chọn mã khác.",
    "not_finalised": "Kỳ đánh giá chưa hoàn tất: hãy hoàn tất trước khi công bố.",
    "unsettled_scores": "Còn đơn vị chưa được tổng hợp điểm: hãy chấp nhận điểm tự chấm hoặc "
    "thẩm định hết trước khi hoàn tất.",
    "table_changed": "Bảng kết quả đã thay đổi sau khi ông/bà xem: hãy tải lại trang, xem lại "
    "rồi ký công bố.",
    "adjustment_reason_required": "Hãy ghi lý do của khoản thưởng, trừ này.",
    "above_cap": "Số điểm vượt quá mức tối đa của khoản thưởng, trừ này.",
    "unknown_adjustment": "Kỳ đánh giá không có khoản thưởng, trừ này.",
    "already_published": "Bảng kết quả này đã được công bố; không có gì mới để công bố.",
    "missing_field": "Hãy điền ô này.",
    # the cycle
    "already_submitted": "Đơn vị đã gửi kết quả tự chấm; kết quả chỉ gửi một lần và không "
    "sửa được nữa.",
    "deadline_passed": "Đã quá hạn cho việc này (xem mốc thời hạn ở đầu trang); "
    "thao tác không được ghi nhận.",
    "phase_not_open": "Chưa đến thời gian tự đánh giá của kỳ này.",
    "wrong_phase": "Việc này không làm được trong giai đoạn hiện tại của kỳ đánh giá "
    "(xem mốc thời hạn ở đầu trang).",
    "not_submitted": "Đơn vị chưa gửi kết quả tự chấm; thẩm định bắt đầu sau khi đơn vị gửi "
    "hoặc khi hết hạn tự đánh giá.",
    "not_contested": "Tiêu chí {criterion} không bị thay đổi điểm hay yêu cầu giải trình, "
    "nên không có vòng này.",
    "already_appraised": "Tiêu chí {criterion} của đơn vị đã được thẩm định ở vòng này; "
    "mỗi hồ sơ chỉ thẩm định một lần.",
    "already_requested": "Đã yêu cầu giải trình tiêu chí {criterion} rồi.",
    "campaign_finalised": "Kỳ đánh giá đã chốt kết quả; không thể thay đổi điểm.",
    "unsupported_self_score": "Còn tiêu chí đã chấm nhưng không có TLKC và không có giải "
    "trình; hãy bổ sung trước khi gửi.",
    "not_applicable": "Tiêu chí {criterion} không áp dụng cho đơn vị này.",
    "not_self_assessed": "Tiêu chí {criterion} không do đơn vị tự chấm.",
    "evidence_exists": "Tệp này đã được đính kèm cho tiêu chí {criterion}.",
    "evidence_not_attached": "Tệp này không còn đính kèm ở tiêu chí {criterion}.",
    "evidence_missing": "Máy chủ không có tệp này; hãy tải tệp lên lại.",
    "evidence_size_mismatch": "Kích thước tệp không khớp với tệp đã tải lên; hãy tải lại.",
    "evidence_media_type_mismatch": "Loại tệp không khớp với nội dung tệp; hãy tải lại.",
    "unsupported_media_type": "Chỉ nhận tệp PDF, PNG, JPEG, DOCX, XLSX, ODT hoặc ODS "
    "(kiểm tra theo nội dung tệp).",
    "file_too_large": "Tệp quá lớn so với giới hạn của máy chủ.",
    "unknown_criterion": "Không có tiêu chí {criterion} trong bộ chỉ số.",
    # keys and signatures
    "out_of_scope": "Khóa của ông/bà không có quyền làm việc này với đơn vị hoặc tiêu chí "
    "này (ngoài phạm vi được giao).",
    "key_revoked": "Khóa ký này đã bị thu hồi; hãy đăng ký khóa mới.",
    "unknown_key": "Khóa ký trong trình duyệt này chưa được cấp trên sổ cái (hoặc đã bị thu hồi).",
    "bad_signature": "Chữ ký không hợp lệ; hãy tải lại trang và thử lại.",
    "clock_skew": "Đồng hồ của máy tính lệch nhiều so với máy chủ; hãy tải lại trang.",
    "nonce_reused": "Lệnh này đã được gửi với nội dung khác; hãy tải lại trang.",
    "wrong_ledger": "Lệnh được ký cho một sổ cái khác; hãy tải lại trang.",
    "key_exists": "Khóa này đã được cấp rồi.",
    "self_revocation": "Một khóa không thể tự thu hồi chính nó.",
    "token_missing": "Phiên đăng nhập đã hết; hãy đăng nhập lại.",
    "token_expired": "Phiên đăng nhập đã hết; hãy đăng nhập lại.",
    "token_invalid": "Phiên đăng nhập không hợp lệ; hãy đăng nhập lại.",
    "challenge_expired": "Yêu cầu đăng nhập đã quá hạn; hãy thử lại.",
    "challenge_invalid": "Yêu cầu đăng nhập không hợp lệ; hãy thử lại.",
    "no_key": "Trình duyệt này chưa có khóa ký. Hãy đăng ký khóa hoặc dùng máy đã đăng ký.",
    "request_exists": "Khóa này đã có yêu cầu cấp đang chờ duyệt.",
    "request_not_pending": "Yêu cầu này không còn chờ duyệt.",
    # surveys: the import, and an answer file's bad rows ({value} is the cell at fault)
    "survey_file_required": "Hãy chọn tệp phiếu điều tra (CSV hoặc XLSX).",
    "survey_reason_required": "Tệp sửa thay lô cũ: hãy ghi lý do thay.",
    "already_imported": "Tệp này đã được ghi nhận; không ghi lại.",
    "unknown_batch": "Lô phiếu cần thay không còn hiệu lực; hãy tải lại trang.",
    "survey_frozen": "Phiếu điều tra đã khóa vì đã có phiếu trả lời được ghi nhận.",
    "row_bad_width": "số ô của dòng ({value}) khác số cột của dòng tiêu đề",
    "row_bad_respondent": "mã người trả lời phải có từ 1 đến 64 ký tự",
    "row_unknown_unit": "«{value}» không phải đơn vị được đánh giá trong cuộc điều tra",
    "row_unknown_question": "«{value}» không phải mã câu hỏi của phiếu",
    "row_group_not_asked": "câu hỏi này không hỏi nhóm «{value}»",
    "row_unknown_option": "«{value}» không phải phương án trả lời (bỏ trống nếu không trả lời)",
    "row_duplicate_column": "cột «{value}» có hai lần",
    "row_unknown_column": "không được có cột «{value}»: tệp chỉ gồm các cột của phiếu",
    "row_missing_columns": "thiếu cột {value}",
    "row_empty_file": "tệp rỗng: cần có dòng tiêu đề",
    # everything else
    "invalid_request": "Dữ liệu gửi đi không hợp lệ; hãy kiểm tra lại các ô đã nhập.",
    "invalid_input": "Dữ liệu gửi đi không hợp lệ; hãy kiểm tra lại các ô đã nhập.",
    "network": "Không kết nối được máy chủ; dữ liệu đã nhập vẫn còn, hãy thử lại.",
    "internal_error": "Máy chủ gặp lỗi; thao tác chưa được ghi nhận. Hãy thử lại sau.",
    "conflict": "Dữ liệu vừa thay đổi; hãy thử lại.",
}
FALLBACK = "Thao tác không được ghi nhận."


def message(code: str, **values: str) -> str:
    """The message of ``code``, with the values it names filled in."""
    text = MESSAGES.get(code, FALLBACK)
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text
