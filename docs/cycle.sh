#!/usr/bin/env bash
# A whole assessment cycle from the command line, on a new ledger in the current folder.
# The phases are seconds apart, not weeks: the script waits for each deadline and runs in
# about three minutes. CYCLE_WINDOW is the seconds for self-assessment and preliminary
# appraisal (default 90), CYCLE_ROUND those of each later round (default 30).
# tests/e2e/test_cycle_script.py runs this file, and checks the README shows it unchanged.
set -euo pipefail
WINDOW=${CYCLE_WINDOW:-90}
ROUND=${CYCLE_ROUND:-30}
at() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
wait_until() { while [ "$(date +%s)" -le "$1" ]; do sleep 1; done; }

# 1. The ledger: its genesis administrator key (var/keys/admin.key), server and log keys.
parledger init --admin-name "Nguyễn Văn Quản" --admin-title "Quản trị hệ thống"
ADMIN=var/keys/admin.key

# 2. The units (import-units reads a CSV; register-unit registers one).
cat > units.csv <<'CSV'
code,name,kind,parent
TP,UBND Thành phố,province,
Q1,UBND Quận 1,district,TP
CSV
parledger import-units units.csv --key $ADMIN
parledger units

# 3. People's keys, each enrolled with its roles (a role:scope names the unit or criteria).
for who in staff head appraiser secretariat publisher; do parledger keys new "keys/$who.key"; done
parledger keys enrol keys/staff.pub --name "Lê Thị Cán Bộ" --role unit_staff:Q1 --key $ADMIN
parledger keys enrol keys/head.pub --name "Trần Văn Thủ Trưởng" --role unit_head:Q1 --key $ADMIN
parledger keys enrol keys/appraiser.pub --name "Phạm Thẩm Định" --role appraiser:1 --key $ADMIN
parledger keys enrol keys/secretariat.pub --name "Sở Nội vụ" --role secretariat --key $ADMIN
parledger keys enrol keys/publisher.pub --name "Văn phòng UBND" --role publisher --key $ADMIN
parledger keys list

# 4. The indicator set: one leaf per scoring rule (docs/FORMATS.md §8.1).
cat > set.yaml <<'YAML'
code: CYCLE
version: 1
title: Bộ chỉ số của kỳ thử
precision: 2
nodes:
  - {code: "1", level: area, title: "Chỉ đạo, điều hành", max_points: "10"}
  - {code: "1.1", level: criterion, title: "Kế hoạch CCHC", max_points: "1.5",
     score_source: appraisal, lead_agency: Sở Nội vụ, rule: {kind: free}}
  - {code: "1.2", level: criterion, title: "Báo cáo CCHC", max_points: "1.5",
     score_source: appraisal, lead_agency: Sở Nội vụ, rule: {kind: free, step: "0.25"}}
  - {code: "1.3", level: criterion, title: "Kiểm tra CCHC", max_points: "1",
     score_source: appraisal, lead_agency: Sở Nội vụ, rule: {kind: all_or_nothing}}
  - {code: "1.4", level: criterion, title: "Văn bản đúng hạn", max_points: "2",
     score_source: appraisal, lead_agency: Sở Tư pháp,
     rule: {kind: tiers, tiers: [{min: "100", points: "2"},
                                 {min: "80", max: "100", max_inclusive: false, points: "1"},
                                 {max: "80", max_inclusive: false, points: "0"}]}}
  - {code: "1.5", level: criterion, title: "Hồ sơ giải quyết đúng hạn", max_points: "2",
     score_source: appraisal, lead_agency: Văn phòng UBND, rule: {kind: proportional}}
  - {code: "1.6", level: criterion, title: "Kỷ luật, kỷ cương", max_points: "2",
     score_source: appraisal, lead_agency: Sở Nội vụ,
     rule: {kind: deduction, per_occurrence: "0.5"}}
YAML
parledger import-indicator-set set.yaml --key $ADMIN

# 5. The campaign. Self-assessment is open already; its milestones follow each other.
NOW=$(date +%s)
APPRAISAL_CLOSES=$((NOW + WINDOW))
EXPLANATION_CLOSES=$((APPRAISAL_CLOSES + ROUND))
FINAL_CLOSES=$((EXPLANATION_CLOSES + ROUND))
parledger cmd create-campaign --code Q1-2025 --year 2025 --title "Chỉ số CCHC 2025" \
  --indicator-set CYCLE --indicator-set-version 1 --units '["Q1"]' \
  --grade-bands '[{"min": "90", "grade": "Xuất sắc"}, {"min": "0", "grade": "Khá"}]' \
  --schedule "{\"self_assessment_opens\": \"$(at $((NOW - 60)))\",
    \"self_assessment_closes\": \"$(at $((APPRAISAL_CLOSES - 5)))\",
    \"preliminary_appraisal_closes\": \"$(at $APPRAISAL_CLOSES)\",
    \"explanation_closes\": \"$(at $EXPLANATION_CLOSES)\",
    \"final_appraisal_closes\": \"$(at $FINAL_CLOSES)\"}" --key keys/secretariat.key

# 6. Self-assessment: the unit's staff score every leaf with the inputs of its rule.
score() { parledger cmd record-self-score --campaign Q1-2025 --unit Q1 --criterion "$1" \
  --inputs "$2" --explanation "$3" --key keys/staff.key; }
score 1.1 '{"points": "1.5"}' "Kế hoạch ban hành đúng hạn"
score 1.2 '{"points": "1.25"}' "Thiếu một báo cáo quý"
score 1.3 '{"achieved": true}' "Đã kiểm tra 100% phòng ban"
score 1.4 '{"numerator": 18, "denominator": 20}' "18 trên 20 văn bản đúng hạn"
score 1.5 '{"numerator": 45, "denominator": 50}' "45 trên 50 hồ sơ đúng hạn"
score 1.6 '{"occurrences": 1}' "Một trường hợp vi phạm"
printf '%%PDF-1.4\n%% Báo cáo CCHC 2025\n%%%%EOF\n' > bao-cao.pdf
parledger cmd attach-evidence --campaign Q1-2025 --unit Q1 --criterion 1.1 \
  --file bao-cao.pdf --key keys/staff.key
parledger cmd submit-self-assessment --campaign Q1-2025 --unit Q1 --key keys/head.key

# 7. Preliminary appraisal: a changed score needs a reason; an explanation may be asked.
parledger cmd record-appraisal --campaign Q1-2025 --unit Q1 --criterion 1.5 \
  --inputs '{"numerator": 40, "denominator": 50}' --reason "5 hồ sơ thiếu phiếu kiểm soát" \
  --key keys/appraiser.key
parledger cmd record-appraisal --campaign Q1-2025 --unit Q1 --criterion 1.4 \
  --inputs '{"numerator": 18, "denominator": 20}' --key keys/appraiser.key
parledger cmd request-explanation --campaign Q1-2025 --unit Q1 --criterion 1.4 \
  --note "Đề nghị gửi danh mục văn bản" --key keys/appraiser.key
parledger progress --campaign Q1-2025

# 8. The explanation round, once preliminary appraisal has closed.
wait_until $APPRAISAL_CLOSES
for criterion in 1.4 1.5; do
  parledger cmd submit-explanation --campaign Q1-2025 --unit Q1 --criterion $criterion \
    --explanation "Bổ sung phiếu kiểm soát và danh mục văn bản" --key keys/staff.key
done

# 9. Final appraisal: confirm, or revise with new inputs and a reason.
wait_until $EXPLANATION_CLOSES
parledger cmd record-final-appraisal --campaign Q1-2025 --unit Q1 --criterion 1.4 \
  --decision confirm --key keys/appraiser.key
parledger cmd record-final-appraisal --campaign Q1-2025 --unit Q1 --criterion 1.5 \
  --decision revise --inputs '{"numerator": 45, "denominator": 50}' \
  --reason "Giải trình hợp lý" --key keys/appraiser.key

# 10. Settlement: the self-scores no appraiser changed are accepted; the campaign is final.
wait_until $FINAL_CLOSES
parledger cmd accept-self-scores --campaign Q1-2025 --unit Q1 --key keys/secretariat.key
parledger cmd finalise-campaign --campaign Q1-2025 --key keys/secretariat.key
parledger scorecard --campaign Q1-2025 --unit Q1
parledger trace --campaign Q1-2025 --unit Q1 --criterion 1.5

# 11. Publication: the publisher signs the hash of the table shown; anyone checks it offline.
parledger publish --campaign Q1-2025 --key keys/publisher.key --yes
parledger ranking --campaign Q1-2025
parledger bundle --campaign Q1-2025 -o q1-2025.bundle
parledger verify-bundle q1-2025.bundle --log-key "$(parledger log-key)"
