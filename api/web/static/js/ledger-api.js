// Talking to the ledger: signed commands to POST /v1/commands, evidence uploads, read tokens
// (a challenge signed by the browser's key), and refusals shown in Vietnamese next to the
// field at fault (from the RFC 9457 problem's code and field). Nothing typed is cleared on a
// refusal.

import { challengeBytes, currentKey, sign, signCommand } from "./ledger-keys.js";

const TOKEN = "parledger.token";
const FRESH_FOR = 5 * 60 * 1000; // a page session younger than this is not renewed before an act

export class Problem extends Error {
  constructor({ code = "internal_error", detail = "", field = null, status = 0, reason = null }) {
    super(detail || code);
    this.code = code;
    this.field = field;
    this.status = status;
    this.reason = reason;
  }
}

async function call(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { credentials: "same-origin", ...options });
  } catch {
    throw new Problem({ code: "network" });
  }
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new Problem({ ...(body || {}), status: response.status });
  return body;
}

function postJson(path, value, headers = {}) {
  return call(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(value),
  });
}

export function ledgerName() {
  return document.querySelector('meta[name="ledger-name"]').content;
}

// The ledger's own time, asked just before signing, so that a laptop's wrong clock or a
// page left open does not make the command look stale.
async function ledgerNow() {
  return (await call("/giao-dien/gio")).now;
}

async function requireKey() {
  const key = await currentKey();
  if (!key) throw new Problem({ code: "no_key" });
  return key;
}

// -- reading: a token from a signed challenge, kept for this tab and as the page session -----

export async function signIn(key) {
  const { challenge } = await postJson("/v1/auth/challenge", { key_id: key.keyId });
  const signature = await sign(key, challengeBytes(challenge));
  const token = await postJson("/v1/auth/token", { key_id: key.keyId, challenge, signature });
  sessionStorage.setItem(
    TOKEN, JSON.stringify({ keyId: key.keyId, token: token.access_token, at: Date.now() }));
  await postJson("/phien", { access_token: token.access_token });
  return token.access_token;
}

async function bearer(fresh = false) {
  const key = await requireKey();
  const kept = JSON.parse(sessionStorage.getItem(TOKEN) || "null");
  if (!fresh && kept && kept.keyId === key.keyId) return kept.token;
  return signIn(key);
}

async function withToken(path, options) {
  const attempt = async (fresh) =>
    call(path, {
      ...options,
      headers: { ...(options.headers || {}), authorization: "Bearer " + (await bearer(fresh)) },
    });
  try {
    return await attempt(false);
  } catch (problem) {
    if (problem.status !== 401) throw problem;
    return attempt(true);
  }
}

export async function uploadEvidence(file) {
  return withToken("/v1/evidence", {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: file,
  });
}

// An answer file of a survey: checked row by row by the server, kept privately if good;
// the answer holds the bad rows, or the batch's arguments to sign and the preview.
export async function uploadSurveyFile(survey, file) {
  return withToken(`/v1/surveys/${encodeURIComponent(survey)}/files`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: file,
  });
}

// -- writing ------------------------------------------------------------------------------

export async function send(type, args) {
  const key = await requireKey();
  // the parts of the page reloaded after the act read with the page session: renew it first
  const kept = JSON.parse(sessionStorage.getItem(TOKEN) || "null");
  if (!kept || kept.keyId !== key.keyId || Date.now() - (kept.at || 0) > FRESH_FOR) {
    await signIn(key);
  }
  const envelope = await signCommand(key, ledgerName(), type, args, await ledgerNow());
  return postJson("/v1/commands", envelope);
}

// A request for a web page route (JSON, same origin, with the page session).
export function postPage(path, value) {
  return postJson(path, value);
}

// -- showing what happened ----------------------------------------------------------------

let table = null;
export async function messages() {
  if (!table) table = await call("/giao-dien/thong-bao.json");
  return table;
}

export async function describe(problem, context = {}) {
  const all = await messages();
  let text = all[problem.reason] || all[problem.code] || all._fallback;
  for (const [name, value] of Object.entries(context)) {
    text = text.replaceAll("{" + name + "}", value);
  }
  return text.replace(/\{[a-z]+\}/g, "…");
}

export function clearProblems(form) {
  for (const element of form.querySelectorAll("[data-error-for]")) {
    element.textContent = "";
    element.hidden = true;
  }
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
  }
}

// The field a problem names, as the form calls it ("command.args.inputs.points" -> "inputs.points").
function fieldName(problem) {
  return (problem.field || "").replace(/^command\.args\./, "").replace(/^request\./, "");
}

export async function showProblem(form, problem, context = {}) {
  const text = await describe(problem, context);
  const name = fieldName(problem);
  const slot =
    form.querySelector(`[data-error-for="${CSS.escape(name)}"]`) ||
    form.querySelector('[data-error-for="_form"]');
  if (!slot) {
    alert(text);
    return;
  }
  slot.textContent = text;
  slot.hidden = false;
  const control = slot.dataset.errorFor === "_form" ? null : form.elements.namedItem(name);
  const target = control instanceof RadioNodeList ? control[0] : control;
  if (target) {
    target.setAttribute("aria-invalid", "true");
    target.focus();
  } else {
    slot.focus();
  }
}

export function showReceipt(receipt, what) {
  const box = document.getElementById("receipt");
  if (!box) return;
  box.replaceChildren();
  const title = document.createElement("strong");
  title.textContent = `Đã ký và ghi vào sổ cái: ${what}.`;
  const detail = document.createElement("span");
  detail.textContent =
    ` Mã sự kiện ${receipt.event_hash.slice(0, 12)}…, vị trí ${receipt.leaf} trong sổ cái. `;
  const proof = document.createElement("a");
  proof.href = `/v1/log/events/${receipt.aggregate_id}/${receipt.version}`;
  proof.textContent = "Xem bằng chứng ghi sổ";
  proof.target = "_blank";
  proof.rel = "noopener";
  const close = document.createElement("button");
  close.type = "button";
  close.className = "link";
  close.textContent = "Đóng";
  close.addEventListener("click", () => { box.hidden = true; });
  box.append(title, detail, proof, " ", close);
  box.hidden = false;
  box.tabIndex = -1;
  box.dataset.position = String(receipt.position);
  box.focus();
}

// Tell the page's parts that show ledger state to load again (htmx: hx-trigger="ledger:recorded
// from:body"); resolves once they have, so that nothing the person starts next is replaced.
export function recorded() {
  const parts = document.querySelectorAll('[hx-trigger*="ledger:recorded"]').length;
  const settled = new Promise((resolve) => {
    if (!parts || !window.htmx) {
      resolve();
      return;
    }
    let left = parts;
    const finish = () => {
      document.body.removeEventListener("htmx:afterSettle", one);
      document.body.removeEventListener("htmx:responseError", one);
      resolve();
    };
    const one = () => {
      left -= 1;
      if (left <= 0) finish();
    };
    document.body.addEventListener("htmx:afterSettle", one);
    document.body.addEventListener("htmx:responseError", one);
    setTimeout(finish, 5000);
  });
  document.body.dispatchEvent(new CustomEvent("ledger:recorded", { bubbles: true }));
  return settled;
}
