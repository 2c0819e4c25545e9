// Nhập phiếu điều tra: the answer file is uploaded and checked by the server; its bad rows
// are listed (nothing is recorded), or its preview is shown with the batch to sign. Signing
// sends import_survey_batch with exactly the tallies previewed.

import {
  Problem, clearProblems, messages, send, showProblem, showReceipt, uploadSurveyFile,
} from "./ledger-api.js";

const COLUMNS = { respondent: "người trả lời", unit: "đơn vị", question: "câu hỏi", answer: "trả lời", group: "nhóm" };
let pending = null;

function cell(row, text, numeric = false) {
  const td = document.createElement("td");
  td.textContent = text;
  if (numeric) td.className = "num";
  row.append(td);
}

async function showErrors(answer) {
  const all = await messages();
  const box = document.getElementById("loi-dong");
  const body = box.querySelector("[data-error-rows]");
  body.replaceChildren();
  for (const error of answer.errors) {
    const row = document.createElement("tr");
    cell(row, String(error.row), true);
    cell(row, COLUMNS[error.column] || error.column || "");
    const words = all["row_" + error.code] || error.reason;
    cell(row, words.replaceAll("{value}", error.value || ""));
    body.append(row);
  }
  box.querySelector("[data-error-summary]").textContent =
    `${answer.errors.length} lỗi (tệp có ${answer.rows} dòng phiếu). Sửa tệp rồi chọn lại.`;
  box.hidden = false;
  document.getElementById("xem-truoc").hidden = true;
  box.tabIndex = -1;
  box.focus();
}

function unitTable(unit, results) {
  const section = document.createElement("div");
  const title = document.createElement("h3");
  title.textContent = `Đơn vị ${unit}`;
  section.append(title);
  for (const problem of results.problems || []) {
    const p = document.createElement("p");
    p.className = "notice";
    p.textContent = `Chưa tính được điểm: ${problem}`;
    section.append(p);
  }
  const table = document.createElement("table");
  table.className = "plain compact";
  const head = document.createElement("tr");
  for (const name of ["Mã", "Tỷ lệ (%)"]) {
    const th = document.createElement("th");
    th.scope = "col";
    if (name !== "Mã") th.className = "num";
    th.textContent = name;
    head.append(th);
  }
  table.createTHead().append(head);
  const body = table.createTBody();
  const comma = (value) => String(value).replace(".", ",");
  const add = (code, value) => {
    const row = document.createElement("tr");
    cell(row, code);
    cell(row, value === null || value === undefined ? "–" : comma(value), true);
    body.append(row);
  };
  if (results.overall !== undefined) add("Chỉ số chung", results.overall);
  for (const [code, value] of Object.entries(results.elements || {})) add(`Yếu tố ${code}`, value);
  for (const [code, value] of Object.entries(results.criteria || {})) add(`Tiêu chí ${code}`, value);
  for (const [code, value] of Object.entries(results.questions || {})) add(code, value);
  section.append(table);
  const points = Object.entries(results.points || {});
  const p = document.createElement("p");
  p.textContent = points.length
    ? "Điểm sẽ ghi vào phiếu đánh giá: " + points.map(([c, v]) => `tiêu chí ${c}: ${comma(v)} điểm`).join("; ")
    : "Chưa có điểm.";
  section.append(p);
  return section;
}

function showPreview(answer) {
  document.getElementById("loi-dong").hidden = true;
  const box = document.getElementById("xem-truoc");
  box.querySelector("[data-sha]").textContent = answer.file_sha256;
  box.querySelector("[data-rows]").textContent = String(answer.rows);
  const units = box.querySelector("[data-preview-units]");
  units.replaceChildren();
  for (const [unit, results] of Object.entries(answer.all_preview.units)) {
    units.append(unitTable(unit, results));
  }
  box.querySelector("[data-already]").hidden = !answer.already_recorded;
  document.getElementById("ky-lo").hidden = answer.already_recorded;
  box.hidden = false;
  box.tabIndex = -1;
  box.focus();
}

async function check(form) {
  clearProblems(form);
  const file = form.elements.namedItem("file").files[0];
  try {
    if (!file) throw new Problem({ code: "survey_file_required", field: "file" });
    const answer = await uploadSurveyFile(form.dataset.survey, file);
    pending = answer;
    if (answer.errors.length) await showErrors(answer);
    else showPreview(answer);
  } catch (problem) {
    if (!(problem instanceof Problem)) throw problem;
    await showProblem(form, problem);
  }
}

async function sign(form) {
  clearProblems(form);
  if (!pending || pending.errors.length) return;
  const args = { ...pending.args };
  const replaced = form.elements.namedItem("supersedes")?.value || "";
  const reason = (form.elements.namedItem("reason")?.value || "").trim();
  try {
    if (replaced) {
      if (!reason) throw new Problem({ code: "survey_reason_required", field: "reason" });
      args.supersedes = replaced;
      args.reason = reason;
    }
    const receipt = await send("import_survey_batch", args);
    showReceipt(receipt, "lô phiếu điều tra");
    form.hidden = true;
  } catch (problem) {
    if (!(problem instanceof Problem)) throw problem;
    await showProblem(form, problem);
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  if (form.id === "tai-tep") {
    event.preventDefault();
    check(form);
  } else if (form.id === "ky-lo") {
    event.preventDefault();
    sign(form);
  }
});

document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file") return;
  const shown = input.closest(".file-choice")?.querySelector("[data-file-name]");
  if (shown) shown.textContent = input.files[0] ? input.files[0].name : "Chưa chọn tệp";
});
