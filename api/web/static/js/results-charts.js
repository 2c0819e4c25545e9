// The charts of a published campaign's results, drawn with the vendored Chart.js (window.Chart)
// from the numbers the page's tables show. Readable without colour: every bar carries its
// number (and grade), and the series of the area chart differ by hatching, not only by hue.

const holder = document.getElementById("chart-data");
const data = holder ? JSON.parse(holder.dataset.json) : null;
const INK = "#1f2933";
const SHADES = ["#1d4ed8", "#64748b", "#0f766e", "#9a3412", "#6d28d9", "#334155"];
const number = (x) => x.toLocaleString("vi-VN", { maximumFractionDigits: 2 });
const BAR = { maxBarThickness: 56 };

// a bar's number written above it
const valueLabels = {
  id: "valueLabels",
  afterDatasetsDraw(chart, _args, options) {
    const { ctx } = chart;
    ctx.save();
    ctx.fillStyle = INK;
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "center";
    chart.data.datasets.forEach((dataset, i) => {
      chart.getDatasetMeta(i).data.forEach((bar, j) => {
        // a number wider than its bar would cover its neighbours' (the tables hold it)
        if (bar.width < (options.extra ? 40 : 26)) return;
        const extra = options.extra ? options.extra(i, j) : "";
        ctx.fillText(number(dataset.data[j]) + extra, bar.x, bar.y - 4);
      });
    });
    ctx.restore();
  },
};

// hatching number n: a different line pattern per series
function hatch(n) {
  const size = 10;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = SHADES[n % SHADES.length];
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = "#ffffff";
  ctx.lineWidth = 2;
  ctx.beginPath();
  const kind = n % 5;
  if (kind === 1) { ctx.moveTo(0, size); ctx.lineTo(size, 0); }
  if (kind === 2) { ctx.moveTo(0, size / 2); ctx.lineTo(size, size / 2); }
  if (kind === 3) { ctx.moveTo(size / 2, 0); ctx.lineTo(size / 2, size); }
  if (kind === 4) { ctx.arc(size / 2, size / 2, 2, 0, 2 * Math.PI); }
  ctx.stroke();
  return ctx.createPattern(canvas, "repeat");
}

function bars(canvas, labels, datasets, { max, extra, legend = false, whole = false } = {}) {
  return new window.Chart(canvas, {
    type: "bar",
    data: { labels, datasets: datasets.map((d) => ({ ...BAR, ...d })) },
    plugins: [valueLabels],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      layout: { padding: { top: 18 } },
      scales: {
        y: { beginAtZero: true, max, ticks: { color: INK, precision: whole ? 0 : undefined } },
        x: { ticks: { color: INK } },
      },
      plugins: {
        legend: { display: legend, labels: { color: INK } },
        tooltip: { enabled: true },
        valueLabels: { extra },
      },
    },
  });
}

if (data && window.Chart) {
  window.Chart.defaults.font.family = "system-ui, 'Segoe UI', Roboto, 'Noto Sans', sans-serif";
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const kind = canvas.dataset.chart;
    if (kind === "group") {
      const group = data.groups[Number(canvas.dataset.group)];
      bars(canvas, group.units,
        [{ label: "Chỉ số (%)", data: group.index, backgroundColor: SHADES[0] }],
        { max: 100, extra: (_i, j) => (group.grades[j] ? ` (${group.grades[j]})` : "") });
    } else if (kind === "areas") {
      const datasets = data.areas.units.map((unit, n) => ({
        label: unit.name, data: unit.index, backgroundColor: hatch(n),
        borderColor: INK, borderWidth: 1,
      }));
      bars(canvas, data.areas.labels.map((l) => l.split(". ")[0]), datasets,
        { max: 100, legend: true });
    } else if (kind === "grades") {
      bars(canvas, data.grades.labels,
        [{ label: "Số đơn vị", data: data.grades.counts, backgroundColor: SHADES[1] }],
        { whole: true });
    }
  }
}
