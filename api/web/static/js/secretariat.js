// The secretariat's and the publisher's signed acts: every <form data-sign="COMMAND_TYPE">
// builds that command's arguments from its fields, asks for the confirmation typed where the
// act cannot be undone (the unit's or the campaign's code), signs and sends it, shows the
// receipt and reloads the page. A refusal is shown next to the field at fault.

import {
  Problem, clearProblems, send, showProblem, showReceipt,
} from "./ledger-api.js";

const DONE = {
  define_indicator_set: "bộ chỉ số",
  create_campaign: "kỳ đánh giá",
  accept_self_scores: "chấp nhận điểm tự chấm",
  record_adjustment: "điểm thưởng, điểm trừ",
  finalise_campaign: "hoàn tất kỳ đánh giá",
  publish_results: "công bố kết quả",
};

const value = (form, name) => String(form.elements.namedItem(name)?.value ?? "").trim();

function confirmed(form) {
  const wanted = form.dataset.confirm;
  if (wanted && value(form, "confirm").toUpperCase() !== wanted.toUpperCase()) {
    const code = form.dataset.unit ? "confirmation_mismatch" : "confirmation_code_mismatch";
    throw new Problem({ code, field: "confirm" });
  }
}

// "2025-01-06T08:00" typed in the campaign's zone (UTC+7, no summer time) -> RFC 3339
function moment(form, name) {
  const typed = value(form, name);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(typed)) {
    throw new Problem({ code: "invalid_time", field: `schedule.${name}` });
  }
  return `${typed}:00+07:00`;
}

function lines(form, name) {
  return value(form, name).split("\n").map((l) => l.trim()).filter(Boolean);
}

const BUILD = {
  define_indicator_set(form) {
    return JSON.parse(form.dataset.definition);
  },
  create_campaign(form) {
    const [set, version] = value(form, "indicator_set").split("@");
    const units = [...form.querySelectorAll('input[name="units"]:checked')].map((c) => c.value);
    if (units.length === 0) throw new Problem({ code: "units_required", field: "units" });
    const schedule = {};
    for (const name of form.dataset.milestones.split(" ")) schedule[name] = moment(form, name);
    const grade_bands = lines(form, "grade_bands").map((line) => {
      const [min, ...grade] = line.split(":");
      return { min: min.trim().replace(",", "."), grade: grade.join(":").trim() };
    });
    const adjustments = lines(form, "adjustments").map((line) => {
      const [code, title, kind, cap] = line.split("|").map((p) => p.trim());
      return { code, title, kind: kind === "trừ" ? "penalty" : kind === "thưởng" ? "bonus" : kind,
        cap: (cap || "").replace(",", ".") };
    });
    return {
      code: value(form, "code"), year: Number(value(form, "year")), title: value(form, "title"),
      indicator_set: set, indicator_set_version: Number(version), units, schedule,
      grade_bands, adjustments,
    };
  },
  accept_self_scores(form) {
    confirmed(form);
    return { campaign: form.dataset.campaign, unit: form.dataset.unit };
  },
  record_adjustment(form) {
    const reason = value(form, "reason");
    if (!reason) throw new Problem({ code: "adjustment_reason_required", field: "reason" });
    return {
      campaign: form.dataset.campaign, unit: value(form, "unit"), code: value(form, "code"),
      points: value(form, "points").replace(",", "."), reason,
    };
  },
  finalise_campaign(form) {
    confirmed(form);
    return { campaign: form.dataset.campaign };
  },
  publish_results(form) {
    confirmed(form);
    return { campaign: form.dataset.campaign, table_sha256: form.dataset.tableSha256,
      note: value(form, "note") };
  },
};

async function sign(form) {
  const type = form.dataset.sign;
  clearProblems(form);
  form.setAttribute("aria-busy", "true");
  for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = true;
  try {
    const receipt = await send(type, BUILD[type](form));
    showReceipt(receipt, DONE[type] || type);
    sessionStorage.setItem("parledger.last-receipt", JSON.stringify(receipt));
    setTimeout(() => location.assign(form.dataset.next || location.href), 600);
  } catch (problem) {
    if (!(problem instanceof Problem)) throw problem;
    await showProblem(form, problem);
  } finally {
    form.setAttribute("aria-busy", "false");
    for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = false;
  }
}

// The indicator set file is read here and sent as it is; the server answers with the
// preview (or the problems by row), which nothing is signed before.
async function preview(form) {
  const file = form.elements.namedItem("file").files[0];
  const out = document.getElementById("import-preview");
  if (!file) return;
  const query = new URLSearchParams({
    code: value(form, "code"), title: value(form, "title"), version: value(form, "version"),
    precision: value(form, "precision"), name: file.name,
  });
  const answer = await fetch(`${form.dataset.preview}?${query}`, {
    method: "POST", body: file, headers: { "content-type": "application/octet-stream" },
  });
  const html = await answer.text();
  const parsed = new DOMParser().parseFromString(html, "text/html");
  out.replaceChildren(...parsed.body.childNodes);
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  if (form.dataset.sign) {
    event.preventDefault();
    sign(form);
  } else if (form.dataset.preview) {
    event.preventDefault();
    preview(form);
  }
});
