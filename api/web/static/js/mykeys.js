// The keys this browser holds, and what the ledger says of each: enrolled (with its roles),
// waiting for the administrator, refused (with the reason) or revoked.

import { describe, Problem } from "./ledger-api.js";
import { currentKey, fingerprint, forgetKey, listKeys, useKey } from "./ledger-keys.js";

const table = document.getElementById("browser-keys");

async function state(keyId) {
  const response = await fetch(`/khoa/trang-thai/${keyId}`);
  return response.ok ? response.json() : { status: "unknown" };
}

const WORDS = {
  enrolled: "Đã được cấp",
  revoked: "Đã bị thu hồi",
  pending: "Đang chờ quản trị viên duyệt",
  refused: "Bị từ chối",
  unknown: "Chưa gửi yêu cầu cấp",
};

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

async function show() {
  const keys = await listKeys();
  const current = await currentKey();
  const body = table.querySelector("tbody");
  body.replaceChildren();
  if (!keys.length) {
    document.getElementById("no-browser-key").hidden = false;
    document.getElementById("no-browser-key").textContent = await describe(new Problem({ code: "no_key" }));
    return;
  }
  for (const key of keys) {
    const found = await state(key.keyId);
    const row = document.createElement("tr");
    const who = found.name || key.person?.name || "";
    let status = WORDS[found.status] || found.status;
    if (found.status === "refused" && found.reason) status += `: ${found.reason}`;
    if (found.roles) status += ` (${found.roles})`;
    const actions = document.createElement("td");
    const use = document.createElement("button");
    use.type = "button";
    use.textContent = current && current.keyId === key.keyId ? "Đang dùng" : "Dùng khóa này";
    use.disabled = Boolean(current && current.keyId === key.keyId);
    use.addEventListener("click", () => { useKey(key.keyId); location.assign("/dang-nhap?tiep=/"); });
    const forget = document.createElement("button");
    forget.type = "button";
    forget.className = "quiet";
    forget.textContent = "Xóa khỏi trình duyệt này";
    forget.addEventListener("click", async () => {
      if (confirm("Xóa khóa khỏi trình duyệt này? Không khôi phục được: sẽ phải đăng ký khóa mới.")) {
        await forgetKey(key.keyId);
        show();
      }
    });
    actions.append(use, " ", forget);
    row.append(cell(fingerprint(key.keyId)), cell(who), cell(status), actions);
    body.append(row);
  }
}

show();
