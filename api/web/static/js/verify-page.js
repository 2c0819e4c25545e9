// The verify page: fetches the publication's proof, then checks it here, step by step, with
// verify-core.js, and says in Vietnamese what passed, what failed and what a failure means.
// The log key may be pinned: the visitor pastes the key they trust, kept in localStorage.

import * as v from "./verify-core.js";

const PINNED = "parledger.pinned-log-key";
const list = document.getElementById("checks");

const STATES = {
  pass: ["Đạt", "tone-green"],
  fail: ["Không đạt", "tone-red"],
  skip: ["Không áp dụng", "tone-grey"],
  run: ["Đang kiểm tra", "tone-blue"],
};

function show(name, state, detail) {
  const item = list.querySelector(`[data-check="${name}"]`);
  const tag = item.querySelector(".state");
  const [word, tone] = STATES[state];
  item.dataset.state = state;
  tag.textContent = (state === "pass" ? "✔ " : state === "fail" ? "✘ " : "") + word;
  tag.className = `state tag ${tone}`;
  item.querySelector(".detail").textContent = detail;
}

function when(seconds) {
  return new Date(seconds * 1000).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" });
}

async function chooseKey(served) {
  const pinned = localStorage.getItem(PINNED);
  const state = document.getElementById("pin-state");
  const text = pinned || served;
  const key = await v.parseVerifierKey(text);
  document.getElementById("key-fingerprint").textContent = await v.fingerprint(key);
  if (!pinned) {
    state.textContent = "Đang kiểm tra bằng khóa máy chủ đưa ra (chưa ghi nhớ khóa nào).";
  } else if (pinned.trim() === served.trim()) {
    state.textContent = "Đang kiểm tra bằng khóa ông/bà đã ghi nhớ; máy chủ đưa ra đúng khóa đó.";
  } else {
    state.textContent =
      "Đang kiểm tra bằng khóa ông/bà đã ghi nhớ. Chú ý: máy chủ đưa ra một khóa khác.";
  }
  return key;
}

async function checkCheckpoint(data, key) {
  try {
    const checkpoint = await v.openCheckpoint(data.checkpoint, key);
    show("checkpoint", "pass",
      `Mốc kiểm tra của sổ cái ${checkpoint.origin} (cây ${checkpoint.size} sự kiện) có chữ ký hợp lệ của khóa trên.`);
    return checkpoint;
  } catch (error) {
    show("checkpoint", "fail",
      "Mốc kiểm tra không mang chữ ký hợp lệ của khóa sổ cái. Nghĩa là máy chủ đưa ra một mốc " +
      "không phải do sổ cái ký (hoặc khóa đang dùng không phải khóa của sổ cái): không thể " +
      `dựa vào mốc này để tin kết quả. (${error.message})`);
    return null;
  }
}

async function checkWitnesses(data) {
  if (data.witnesses.length === 0) {
    show("witnesses", "skip", "Sổ cái này chưa khai báo bên chứng kiến nào.");
    return true;
  }
  const lines = [];
  let bad = false;
  let signed = 0;
  for (const text of data.witnesses) {
    let witness;
    try {
      witness = await v.parseVerifierKey(text, v.SIG_COSIGNATURE_V1);
    } catch {
      lines.push(`${text}: khóa không đọc được`);
      bad = true;
      continue;
    }
    const at = await v.cosignedAt(data.checkpoint, witness);
    if (at === null) lines.push(`${witness.name}: chưa ký mốc này`);
    else if (at === false) {
      bad = true;
      lines.push(`${witness.name}: chữ ký KHÔNG hợp lệ`);
    } else {
      signed += 1;
      lines.push(`${witness.name}: đã ký lúc ${when(at)}`);
    }
  }
  const meaning = bad
    ? " Chữ ký không hợp lệ nghĩa là mốc đã bị sửa sau khi bên chứng kiến ký, hoặc chữ ký bị giả."
    : signed === 0 ? " Chưa bên chứng kiến nào xác nhận mốc này; các bước khác vẫn có giá trị." : "";
  show("witnesses", bad ? "fail" : signed ? "pass" : "skip", lines.join("; ") + "." + meaning);
  return !bad;
}

async function checkInclusion(data, checkpoint) {
  let event;
  try {
    const leaf = v.b64decode(data.leaf);
    event = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(leaf));
    if (event.type !== "ResultsPublished" || event.body?.campaign !== data.campaign) {
      throw new v.Refusal("the event is not this campaign's ResultsPublished");
    }
    if (!checkpoint) {
      show("inclusion", "fail",
        "Không kiểm tra được: mốc kiểm tra không hợp lệ nên không có gốc cây đáng tin để đối chiếu.");
      return null;
    }
    const proof = data.proof.map(v.b64decode);
    const ok = await v.verifyInclusion(
      data.leaf_index, checkpoint.size, await v.leafHash(leaf), proof, checkpoint.root);
    if (!ok) throw new v.Refusal("the proof does not lead to the checkpoint's root");
  } catch (error) {
    show("inclusion", "fail",
      "Bằng chứng không cho thấy sự kiện công bố nằm ở vị trí đã nêu trong sổ cái đã ký. Nghĩa " +
      "là sự kiện máy chủ đưa ra không phải sự kiện đã ghi vào sổ cái, hoặc bằng chứng là của " +
      `một sự kiện khác. (${error.message})`);
    return null;
  }
  show("inclusion", "pass",
    `Sự kiện công bố lần ${event.body.sequence} (vị trí ${data.leaf_index} trong sổ cái) nằm trong ` +
    `cây của mốc kiểm tra; sự kiện ghi mã băm bảng kết quả ${event.body.table_sha256}.`);
  return event;
}

async function checkTable(data, event) {
  const response = await fetch(data.table_url, { cache: "no-store" });
  const digest = v.hex(await v.sha256(new Uint8Array(await response.arrayBuffer())));
  const recorded = event ? event.body.table_sha256 : null;
  if (recorded === null) {
    show("table", "fail",
      `Bảng kết quả máy chủ đưa ra có mã băm ${digest}, nhưng không có sự kiện công bố đã kiểm ` +
      "chứng để đối chiếu.");
    return false;
  }
  if (digest !== recorded) {
    show("table", "fail",
      `Bảng kết quả máy chủ đưa ra có mã băm ${digest}, khác mã băm ${recorded} mà sự kiện công ` +
      "bố đã ghi. Nghĩa là bảng đã bị sửa sau khi công bố: đừng dùng các con số của bảng này.");
    return false;
  }
  show("table", "pass",
    `Bảng kết quả (${response.headers.get("content-length") || "?"} byte) có mã băm SHA-256 ${digest}, ` +
    "đúng mã băm sự kiện công bố đã ghi.");
  return true;
}

async function run() {
  for (const item of list.querySelectorAll("[data-check]")) show(item.dataset.check, "run", "");
  const verdict = document.getElementById("verdict");
  verdict.textContent = "Đang kiểm tra…";
  verdict.dataset.state = "run";
  const data = await (await fetch(list.dataset.source, { cache: "no-store" })).json();
  let key;
  try {
    key = await chooseKey(data.log_key);
  } catch (error) {
    show("checkpoint", "fail", `Khóa sổ cái không đọc được (${error.message}).`);
  }
  const checkpoint = key ? await checkCheckpoint(data, key) : null;
  const witnesses = await checkWitnesses(data);
  const event = await checkInclusion(data, checkpoint);
  const table = await checkTable(data, event);
  const ok = Boolean(checkpoint && witnesses && event && table);
  verdict.dataset.state = ok ? "pass" : "fail";
  verdict.textContent = ok
    ? "✔ Mọi bước đều đạt: bảng kết quả này đúng là bảng đã công bố và được ghi trong sổ cái."
    : "✘ Có bước không đạt (xem trên): không nên tin bảng kết quả máy chủ này đưa ra.";
  verdict.className = `verdict ${ok ? "tone-green" : "tone-red"}`;
}

document.getElementById("pin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("pinned-key");
  const error = document.getElementById("pinned-key-error");
  try {
    await v.parseVerifierKey(input.value);
  } catch {
    error.textContent =
      "Khóa không đúng dạng <tên>+<mã khóa 8 ký tự hex>+<khóa base64>, hoặc mã khóa không khớp khóa.";
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    return;
  }
  error.hidden = true;
  input.removeAttribute("aria-invalid");
  localStorage.setItem(PINNED, input.value.trim());
  run();
});

document.getElementById("unpin").addEventListener("click", () => {
  localStorage.removeItem(PINNED);
  run();
});

run().catch((error) => {
  const verdict = document.getElementById("verdict");
  verdict.dataset.state = "fail";
  verdict.className = "verdict tone-red";
  verdict.textContent = `✘ Không kiểm tra được: ${error.message}`;
});
