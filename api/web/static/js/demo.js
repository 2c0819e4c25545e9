// "Sign in as" on the seeded demo store only: the demo's key for one person is imported into
// this browser as a non-extractable key, then used like any other.

import { signIn, describe, Problem } from "./ledger-api.js";
import { importDemoKey } from "./ledger-keys.js";

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-demo-key]");
  if (!button) return;
  const status = document.getElementById("demo-status");
  button.disabled = true;
  status.textContent = "Đang nạp khóa thử vào trình duyệt…";
  try {
    const response = await fetch(`/thu/khoa/${button.dataset.demoKey}`);
    if (!response.ok) throw new Problem(await response.json());
    const found = await response.json();
    const key = await importDemoKey(found.pkcs8, found.public_key, found.person);
    await signIn(key);
    location.assign("/");
  } catch (problem) {
    if (!(problem instanceof Problem)) throw problem;
    status.textContent = await describe(problem);
    button.disabled = false;
  }
});
