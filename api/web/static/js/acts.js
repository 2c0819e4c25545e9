// Forms that sign: every <form data-act="COMMAND_TYPE"> on a page builds that command's
// arguments (the shapes of ledger/domain/command_args.py), checks what the page can check
// (the points under the leaf's rule, a reason where one is needed), signs and sends it, and
// shows the receipt. A refusal is shown next to the field at fault; nothing typed is cleared.
// <form data-post="URL"> sends its fields to a page route instead (a refusal of a request).

import {
  Problem, clearProblems, postPage, recorded, send, showProblem, showReceipt, uploadEvidence,
} from "./ledger-api.js";
import { RuleError, compute, countFromInput, display, pointsFromInput } from "./rules.js";

const DONE = {
  record_self_score: "điểm tự đánh giá",
  attach_evidence: "tài liệu kiểm chứng",
  remove_evidence: "gỡ tài liệu kiểm chứng",
  submit_self_assessment: "gửi kết quả tự chấm",
  record_appraisal: "điểm thẩm định lần 1",
  request_explanation: "yêu cầu giải trình",
  submit_explanation: "giải trình",
  record_final_appraisal: "điểm thẩm định lần 2",
  enrol_key: "cấp khóa",
  revoke_key: "thu hồi khóa",
};

const text = (form, name) => {
  const control = form.elements.namedItem(name);
  return control ? String(control.value) : "";
};

function card(form) {
  return { campaign: form.dataset.campaign, unit: form.dataset.unit };
}

// The inputs the leaf's rule takes, read from the form's inputs.* controls.
function ruleInputs(form) {
  const rule = JSON.parse(form.dataset.rule);
  const kind = rule.kind || "free";
  if (kind === "all_or_nothing") {
    const chosen = form.querySelector('input[name="inputs.achieved"]:checked');
    return chosen ? { achieved: chosen.value === "true" } : {};
  }
  if (kind === "deduction") return { occurrences: countFromInput(text(form, "inputs.occurrences")) };
  if (kind === "tiers" || kind === "proportional") {
    return {
      numerator: countFromInput(text(form, "inputs.numerator")),
      denominator: countFromInput(text(form, "inputs.denominator")),
    };
  }
  return { points: pointsFromInput(text(form, "inputs.points")) };
}

function score(form) {
  const inputs = ruleInputs(form);
  if (Object.keys(inputs).length === 0) {
    throw new RuleError("invalid_input", "command.args.inputs.achieved", "missing_input");
  }
  const found = compute(
    JSON.parse(form.dataset.rule), form.dataset.max, Number(form.dataset.precision), inputs);
  return { inputs, found };
}

function required(form, name, reason) {
  const value = text(form, name).trim();
  if (!value) throw new Problem({ code: reason, field: name });
  return value;
}

function needsReason(form, found) {
  const self = form.dataset.selfPoints ?? "0";
  return found.points !== self && !text(form, "reason").trim();
}

const BUILD = {
  record_self_score(form) {
    const { inputs } = score(form);
    return {
      ...card(form), criterion: form.dataset.criterion, inputs,
      note: text(form, "note"), explanation: text(form, "explanation"),
    };
  },
  async attach_evidence(form) {
    const file = form.elements.namedItem("file").files[0];
    if (!file) throw new Problem({ code: "file_required", field: "file" });
    const stored = await uploadEvidence(file);
    return {
      ...card(form), criterion: form.dataset.criterion, sha256: stored.sha256,
      size: stored.size, file_name: file.name.slice(0, 255), media_type: stored.media_type,
    };
  },
  remove_evidence(form) {
    return {
      ...card(form), criterion: form.dataset.criterion, sha256: form.dataset.sha256,
      reason: text(form, "reason"),
    };
  },
  submit_self_assessment(form) {
    if (text(form, "confirm").trim().toUpperCase() !== form.dataset.unit.toUpperCase()) {
      throw new Problem({ code: "confirmation_mismatch", field: "confirm" });
    }
    return card(form);
  },
  record_appraisal(form) {
    const { inputs, found } = score(form);
    if (needsReason(form, found)) throw new Problem({ code: "reason_required", field: "reason" });
    return { ...card(form), criterion: form.dataset.criterion, inputs, reason: text(form, "reason") };
  },
  request_explanation(form) {
    return { ...card(form), criterion: form.dataset.criterion, note: text(form, "note") };
  },
  submit_explanation(form) {
    return {
      ...card(form), criterion: form.dataset.criterion,
      explanation: required(form, "explanation", "explanation_required"),
    };
  },
  record_final_appraisal(form) {
    const decision = form.querySelector('input[name="decision"]:checked')?.value || "confirm";
    const reason = required(form, "reason", "reason_required");
    const args = { ...card(form), criterion: form.dataset.criterion, decision, reason };
    if (decision === "revise") args.inputs = score(form).inputs;
    return args;
  },
  enrol_key(form) {
    return JSON.parse(form.dataset.args);
  },
  revoke_key(form) {
    return { key_id: form.dataset.keyId, reason: required(form, "reason", "reason_required") };
  },
};

// What the messages may name, from the form the person filled in.
function context(form) {
  const precision = Number(form.dataset.precision || 2);
  const values = { criterion: form.dataset.criterion || "", step: "" };
  if (form.dataset.max) values.max = display(form.dataset.max, precision);
  const typed = form.elements.namedItem("inputs.points");
  if (typed && typed.value) values.points = typed.value.trim();
  if (form.dataset.rule) {
    const rule = JSON.parse(form.dataset.rule);
    if (rule.step) values.step = rule.step.replace(".", ",");
  }
  return values;
}

function busy(form, on) {
  form.setAttribute("aria-busy", on ? "true" : "false");
  for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = on;
}

async function act(form) {
  const type = form.dataset.act;
  clearProblems(form);
  busy(form, true);
  try {
    const args = await BUILD[type](form);
    const receipt = await send(type, args);
    if (form.dataset.after === "reload") {
      location.reload();
      return;
    }
    await recorded();
    showReceipt(receipt, DONE[type] || type);
  } catch (problem) {
    if (!(problem instanceof Problem) && !(problem instanceof RuleError)) throw problem;
    await showProblem(form, problem, context(form));
  } finally {
    busy(form, false);
  }
}

async function post(form) {
  clearProblems(form);
  busy(form, true);
  try {
    await postPage(form.dataset.post, Object.fromEntries(new FormData(form)));
    location.reload();
  } catch (problem) {
    if (!(problem instanceof Problem)) throw problem;
    await showProblem(form, problem, context(form));
  } finally {
    busy(form, false);
  }
}

// The points the rule gives for what is typed, shown before anything is signed.
function preview(form) {
  const out = form.querySelector("[data-preview]");
  if (!out) return;
  try {
    const { found } = score(form);
    const precision = Number(form.dataset.precision);
    let words = `Điểm theo cách tính: ${display(found.points, precision)}`;
    if (found.percent !== undefined) words += ` (tỷ lệ ${display(found.percent, precision)} %)`;
    if (form.dataset.selfPoints !== undefined && found.points !== form.dataset.selfPoints) {
      words += " — khác điểm tự đánh giá, cần ghi lý do";
    }
    out.textContent = words;
    out.classList.remove("warn");
  } catch (problem) {
    if (!(problem instanceof RuleError)) throw problem;
    out.textContent = "Chưa tính được điểm: hãy nhập đủ và đúng số liệu.";
    out.classList.add("warn");
  }
}

function revising(form) {
  const box = form.querySelector("[data-revise-only]");
  if (!box) return;
  const decision = form.querySelector('input[name="decision"]:checked')?.value;
  box.hidden = decision !== "revise";
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  if (form.dataset.act) {
    event.preventDefault();
    act(form);
  } else if (form.dataset.post) {
    event.preventDefault();
    post(form);
  }
});

// The name of the file chosen, in words, beside the (translated) file button.
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file") return;
  const shown = input.closest(".file-choice")?.querySelector("[data-file-name]");
  if (shown) shown.textContent = input.files[0] ? input.files[0].name : "Chưa chọn tệp";
});

document.addEventListener("input", (event) => {
  const form = event.target.form;
  if (form && form.dataset.rule) preview(form);
  if (form && form.dataset.act === "record_final_appraisal") revising(form);
});

export function prepare(root = document) {
  for (const form of root.querySelectorAll("form[data-rule]")) preview(form);
  for (const form of root.querySelectorAll('form[data-act="record_final_appraisal"]')) {
    revising(form);
  }
}

prepare();
document.body.addEventListener("htmx:afterSwap", (event) => prepare(event.target));
