// Sign-in: the browser's key signs a challenge for a read token (FORMATS §10b); the pages
// then read with it. No password: whoever holds this browser's key is its person.

import { signIn, describe, Problem } from "./ledger-api.js";
import { currentKey, fingerprint, listKeys, useKey } from "./ledger-keys.js";

const list = document.getElementById("keys");
const status = document.getElementById("signin-status");
const next = new URLSearchParams(location.search).get("tiep") || "/";
const target = next.startsWith("/") && !next.startsWith("//") ? next : "/";

async function enter(key) {
  status.textContent = "Đang đăng nhập bằng khóa " + fingerprint(key.keyId) + "…";
  try {
    useKey(key.keyId);
    await signIn(key);
    location.assign(target);
  } catch (problem) {
    if (!(problem instanceof Problem)) throw problem;
    status.textContent = await describe(problem);
    status.classList.add("error");
  }
}

async function show() {
  const keys = await listKeys();
  if (!keys.length) {
    status.textContent = await describe(new Problem({ code: "no_key" }));
    document.getElementById("no-key").hidden = false;
    return;
  }
  for (const key of keys) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    const who = key.person?.name ? `${key.person.name}` : "Khóa ký";
    button.textContent = `Đăng nhập: ${who} (khóa ${fingerprint(key.keyId)})`;
    button.addEventListener("click", () => enter(key));
    item.append(button);
    list.append(item);
  }
  const current = await currentKey();
  if (current && new URLSearchParams(location.search).has("tiep")) await enter(current);
  else status.textContent = "Chọn khóa để đăng nhập.";
}

show();
