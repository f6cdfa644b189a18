// Charts of a report, drawn as SVG from the report object's numbers (never from its text):
// spend by day, spend by route, latency percentiles by route, and the recommendations'
// savings as a waterfall that ends at the combined total. Labels are set with textContent.

const NS = "http://www.w3.org/2000/svg";
const svg = (tag, attrs) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  return el;
};
const money = (x) => "$" + (x >= 100 ? x.toFixed(0) : x.toFixed(2));
const ms = (x) => (x >= 1000 ? (x / 1000).toFixed(1) + " s" : Math.round(x) + " ms");

function figure(title, desc, body) {
  const fig = document.createElement("figure");
  fig.className = "chart";
  const cap = document.createElement("figcaption");
  cap.textContent = title;
  body.setAttribute("role", "img");
  body.setAttribute("aria-label", desc);
  fig.append(cap, body);
  return fig;
}

function text(x, y, s, cls, anchor) {
  const t = svg("text", { x, y, class: cls || "label", "text-anchor": anchor || "start" });
  t.textContent = s;
  return t;
}

// Vertical bars: spend by day.
function columns(title, items, fmt) {
  const W = 640, H = 180, pad = 28, n = items.length;
  const max = Math.max(...items.map((i) => i.value), 1e-9);
  const bw = (W - pad) / n;
  const g = svg("svg", { viewBox: `0 0 ${W} ${H + 20}`, class: "chart-svg" });
  items.forEach((it, i) => {
    const h = (it.value / max) * H;
    const r = svg("rect", { x: pad + i * bw + 1, y: H - h, width: Math.max(bw - 2, 1), height: h, class: "bar" });
    const tip = svg("title");
    tip.textContent = it.label + ": " + fmt(it.value);
    r.append(tip);
    g.append(r);
  });
  g.append(text(0, 12, fmt(max), "axis"), text(pad, H + 16, items[0].label, "axis"), text(W, H + 16, items[n - 1].label, "axis", "end"));
  return figure(title, title + ": " + items.map((i) => i.label + " " + fmt(i.value)).join(", "), g);
}

// Stacked columns: spend by model over time, one colour a model, with a legend.
function stacked(title, rows, fmt) {
  const days = [...new Set(rows.map((r) => r.day))].sort();
  const models = [...new Set(rows.map((r) => r.model))].sort((a, b) => (a === "(other)") - (b === "(other)") || a.localeCompare(b));
  const by = new Map(rows.map((r) => [r.day + "\u0000" + r.model, r.cost_usd]));
  const totals = days.map((d) => models.reduce((s, m) => s + (by.get(d + "\u0000" + m) || 0), 0));
  const W = 640, H = 180, pad = 28, bw = (W - pad) / days.length, max = Math.max(...totals, 1e-9);
  const g = svg("svg", { viewBox: `0 0 ${W} ${H + 20 + 18 * Math.ceil(models.length / 3)}`, class: "chart-svg" });
  days.forEach((d, i) => {
    let y = H;
    models.forEach((m, k) => {
      const v = by.get(d + "\u0000" + m) || 0;
      const h = (v / max) * H;
      y -= h;
      const r = svg("rect", { x: pad + i * bw + 1, y, width: Math.max(bw - 2, 1), height: h, class: "bar s" + (k % 7) });
      const tip = svg("title");
      tip.textContent = d + ", " + m + ": " + fmt(v);
      r.append(tip);
      g.append(r);
    });
  });
  g.append(text(0, 12, fmt(max), "axis"), text(pad, H + 16, days[0], "axis"), text(W, H + 16, days[days.length - 1], "axis", "end"));
  models.forEach((m, k) => {
    const x = (k % 3) * 210, y = H + 36 + Math.floor(k / 3) * 18;
    g.append(svg("rect", { x, y: y - 10, width: 10, height: 10, class: "bar s" + (k % 7) }), text(x + 14, y, m));
  });
  const desc = models.map((m) => m + " " + fmt(days.reduce((s, d) => s + (by.get(d + "\u0000" + m) || 0), 0))).join(", ");
  return figure(title, title + " over " + days.length + " days: " + desc, g);
}

// Horizontal bars, one row per item, with one or more series.
function rows(title, items, series, fmt) {
  const W = 640, row = 22 * series.length + 8, left = 170;
  const max = Math.max(...items.flatMap((i) => series.map((s) => i[s.key])), 1e-9);
  const g = svg("svg", { viewBox: `0 0 ${W} ${items.length * row + 8}`, class: "chart-svg" });
  items.forEach((it, i) => {
    const y = i * row + 4;
    g.append(text(0, y + 15, it.label.length > 24 ? it.label.slice(0, 23) + "…" : it.label));
    series.forEach((s, k) => {
      const w = (it[s.key] / max) * (W - left - 80);
      g.append(svg("rect", { x: left, y: y + k * 22, width: Math.max(w, 1), height: 18, class: "bar " + s.cls }));
      g.append(text(left + w + 4, y + k * 22 + 14, (series.length > 1 ? s.name + " " : "") + fmt(it[s.key]), "value"));
    });
  });
  const desc = items.map((it) => it.label + ": " + series.map((s) => s.name + " " + fmt(it[s.key])).join(", ")).join("; ");
  return figure(title, title + ": " + desc, g);
}

// The waterfall: the monthly spend, each recommendation's combined saving taken off in turn,
// and what is left; the steps add up to the report's combined total.
function waterfall(report) {
  const recs = report.recommendations.filter((r) => r.combined_savings_usd > 0);
  const steps = [{ label: "Monthly spend", from: 0, to: report.monthly_spend_usd, cls: "total" }];
  let level = report.monthly_spend_usd;
  for (const r of recs) {
    steps.push({ label: r.title, from: level - r.combined_savings_usd, to: level, cls: "saving", value: r.combined_savings_usd });
    level -= r.combined_savings_usd;
  }
  if (report.minor_recommendations.count > 0 && report.minor_recommendations.monthly_savings_usd > 0) {
    const v = report.minor_recommendations.monthly_savings_usd;
    steps.push({ label: report.minor_recommendations.count + " smaller items", from: level - v, to: level, cls: "saving", value: v });
    level -= v;
  }
  steps.push({ label: "After: " + money(report.monthly_savings_usd) + " saved", from: 0, to: Math.max(level, 0), cls: "total" });
  const W = 640, row = 26, left = 230, max = Math.max(report.monthly_spend_usd, 1e-9), span = W - left - 70;
  const g = svg("svg", { viewBox: `0 0 ${W} ${steps.length * row + 6}`, class: "chart-svg" });
  steps.forEach((s, i) => {
    const y = i * row + 3;
    g.append(text(0, y + 15, s.label.length > 32 ? s.label.slice(0, 31) + "…" : s.label));
    const x0 = left + (s.from / max) * span, x1 = left + (s.to / max) * span;
    g.append(svg("rect", { x: x0, y, width: Math.max(x1 - x0, 1), height: 20, class: "bar " + s.cls }));
    g.append(text(x1 + 4, y + 15, s.value !== undefined ? "−" + money(s.value) : money(s.to), "value"));
  });
  return figure("Savings a month, combined", "Monthly spend " + money(report.monthly_spend_usd) + ", saving " + money(report.monthly_savings_usd) + " combined", g);
}

// renderCharts returns the charts the report has numbers for (possibly none).
export function renderCharts(report) {
  const out = document.createElement("div");
  out.className = "charts";
  if (!report) return out;
  const days = report.spend_by_day || [];
  const byModel = report.spend_by_day_model || [];
  if (days.length >= 2 && new Set(byModel.map((r) => r.model)).size >= 2) out.append(stacked("Spend by model, by day", byModel, money));
  else if (days.length >= 2) out.append(columns("Spend by day", days.map((d) => ({ label: d.day, value: d.cost_usd })), money));
  const routes = (report.spend_by_route || []).slice(0, 8);
  if (routes.length >= 2) out.append(rows("Spend by route", routes.map((r) => ({ label: r.route, cost: r.cost_usd })), [{ key: "cost", name: "cost", cls: "" }], money));
  const lat = (report.latency_by_route || []).slice(0, 8);
  if (lat.length >= 1)
    out.append(rows("Latency by route", lat.map((l) => ({ label: l.route, p50: l.p50_ms, p95: l.p95_ms, p99: l.p99_ms })),
      [{ key: "p50", name: "p50", cls: "p50" }, { key: "p95", name: "p95", cls: "p95" }, { key: "p99", name: "p99", cls: "p99" }], ms));
  if ((report.recommendations || []).length > 0 && report.monthly_spend_usd > 0) out.append(waterfall(report));
  return out;
}
