// Asking for a key: the browser makes a new Ed25519 key (non-extractable, kept here), signs
// the request with it (proof that this browser holds it) and shows what the administrator
// will check: the public key, the person, the role asked for and the fingerprint to read aloud.

import { Problem, clearProblems, describe, ledgerName, postPage, showProblem } from "./ledger-api.js";
import { canonicalBytes, fingerprint, forgetKey, generateKey, sign } from "./ledger-keys.js";

const form = document.getElementById("enrol-form");
const result = document.getElementById("enrol-result");

function request() {
  const value = (name) => String(form.elements.namedItem(name).value).trim();
  const name = value("name");
  if (!name) throw new Problem({ code: "missing_field", field: "name" });
  const role = value("role");
  let scope = [];
  if (role === "unit_staff" || role === "unit_head") scope = [value("scope_unit")];
  if (role === "appraiser") scope = value("scope_fields").split(/[\s,;]+/).filter(Boolean);
  return { name, title: value("title"), unit: value("unit"), roles: [{ role, scope }] };
}

function field(term, text) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = text;
  return [dt, dd];
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearProblems(form);
  let key = null;
  try {
    const asked = request();
    key = await generateKey(asked);
    const args = { public_key: key.publicKey, ...asked };
    const signature = await sign(key, canonicalBytes({
      purpose: "parledger-enrolment-request-v1", ledger: ledgerName(), request: args,
    }));
    await postPage("/khoa/yeu-cau", { request: args, signature });
    const list = document.getElementById("enrol-facts");
    const grant = form.elements.namedItem("role").selectedOptions[0].textContent;
    const scope = asked.roles[0].scope.join(", ");
    list.replaceChildren(
      ...field("Dấu vân tay (đọc cho quản trị viên)", fingerprint(key.keyId)),
      ...field("Mã khóa", key.keyId),
      ...field("Khóa công khai", key.publicKey),
      ...field("Họ tên", asked.name),
      ...field("Chức vụ", asked.title || "—"),
      ...field("Cơ quan", asked.unit || "—"),
      ...field("Vai trò đề nghị", scope ? `${grant}: ${scope}` : grant),
    );
    form.hidden = true;
    result.hidden = false;
    result.querySelector("h2").focus();
  } catch (problem) {
    if (key) await forgetKey(key.keyId);
    if (!(problem instanceof Problem)) throw problem;
    await showProblem(form, problem, {});
  }
});

const role = form.elements.namedItem("role");
function scopes() {
  const unitRole = role.value === "unit_staff" || role.value === "unit_head";
  document.getElementById("scope-unit").hidden = !unitRole;
  document.getElementById("scope-fields").hidden = role.value !== "appraiser";
}
role.addEventListener("change", scopes);
scopes();
