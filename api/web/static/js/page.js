// What every page does: the side panel of a sheet takes the focus when it opens and gives it
// back when it closes (Escape or its close button), so the person keeps their place.

let opener = null;

function panel() {
  return document.getElementById("panel");
}

function closePanel() {
  const box = panel();
  if (!box || box.hidden) return;
  box.hidden = true;
  box.replaceChildren();
  if (opener) opener.focus();
}

// A leaf's link opens its details in the side panel (a plain link to the leaf's page
// without scripts, or with a modifier key).
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-opens-panel]");
  if (link && panel() && window.htmx && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
    event.preventDefault();
    opener = link;
    window.htmx.ajax("GET", link.getAttribute("href"), { target: "#panel", swap: "innerHTML" });
  }
  if (event.target.closest("[data-closes-panel]")) closePanel();
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closePanel();
});

document.body.addEventListener("htmx:afterSwap", (event) => {
  const box = panel();
  if (box && (event.target === box || box.contains(event.target))) {
    box.hidden = false;
    if (event.detail.requestConfig?.triggeringEvent?.type !== "ledger:recorded") {
      box.querySelector("h2")?.focus();
    }
  }
});
