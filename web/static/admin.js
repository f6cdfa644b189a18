// The operations dashboard (admins): the node's live figures from GET /v1/admin/live, a
// server-sent stream read with fetch (EventSource cannot send a token), and the live runs,
// users, kill switches and audit status from the admin endpoints.

import { $, el } from "./dom.js";
const kb = (b) => (b / 1024).toFixed(0) + " KiB";
const msText = (x) => (x >= 1000 ? (x / 1000).toFixed(2) + " s" : x.toFixed(1) + " ms");
let live = null;
const history = [];

function tiles(s) {
  const failedPct = s.runs_ended > 0 ? ((100 * s.runs_failed) / s.runs_ended).toFixed(1) + "%" : "–";
  const items = [
    ["Connections", s.connections],
    ["Runs running", s.runs_running],
    ["Runs queued", s.runs_queued],
    ["Run time p50 / p95", msText(s.run_p50_ms) + " / " + msText(s.run_p95_ms)],
    ["Event latency p50 / p95", msText(s.event_p50_ms) + " / " + msText(s.event_p95_ms)],
    ["Heap ÷ connections", kb(s.heap_per_connection)],
    ["Heap ÷ running runs", kb(s.heap_per_running_run)],
    ["Event delivery", s.delivery_success_pct.toFixed(2) + "%"],
    ["Runs failed", failedPct],
  ];
  const grid = el("div", undefined, "tiles");
  for (const [k, v] of items) {
    const t = el("div", undefined, "tile");
    t.append(el("span", k, "tile-label"), el("span", String(v), "tile-value"));
    grid.append(t);
  }
  $("admin-tiles").replaceChildren(grid);
  // A live region: written only when it changes, so a screen reader hears a change, not a tick.
  if ($("violations").textContent !== String(s.isolation_violations)) $("violations").textContent = String(s.isolation_violations);
  $("violations").className = s.isolation_violations > 0 ? "violations bad" : "violations";
}

// upFor says how long ago a node started, in its largest unit.
function upFor(startedAt) {
  const s = Math.max(0, (Date.now() - Date.parse(startedAt)) / 1000);
  if (s < 60) return Math.floor(s) + " s";
  if (s < 3600) return Math.floor(s / 60) + " min";
  if (s < 86400) return Math.floor(s / 3600) + " h";
  return Math.floor(s / 86400) + " d";
}

// spark draws the last two minutes of a series as a line.
function spark(id, key, label) {
  const NS = "http://www.w3.org/2000/svg";
  const W = 300, H = 60;
  const vals = history.map((s) => s[key]);
  const max = Math.max(...vals, 1e-9);
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "spark");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label + ", last " + vals.length + " s, now " + vals[vals.length - 1]);
  const line = document.createElementNS(NS, "polyline");
  line.setAttribute("points", vals.map((v, i) => `${(i / Math.max(vals.length - 1, 1)) * W},${H - (v / max) * (H - 4) - 2}`).join(" "));
  svg.append(line);
  const fig = el("figure");
  fig.append(el("figcaption", label), svg);
  $(id).replaceChildren(fig);
}

async function refreshLists(api) {
  const [runs, users, switches, audit, nodes] = await Promise.all([
    api("GET", "/v1/admin/runs"), api("GET", "/v1/admin/users"), api("GET", "/v1/admin/switches"), api("GET", "/v1/admin/audit/status").catch(() => null),
    api("GET", "/v1/admin/nodes").catch(() => ({ nodes: [] })),
  ]);
  $("admin-nodes").replaceChildren(...(nodes.nodes || []).map((n) => {
    const tr = el("tr");
    tr.append(el("td", n.leader ? n.id + " (leader)" : n.id), el("td", n.address), el("td", n.store + " · " + n.bus, "nowrap"), el("td", String(n.connections)),
      el("td", n.runs_running + " of " + n.slots), el("td", String(n.runs_queued)), el("td", upFor(n.started_at), "nowrap"));
    return tr;
  }));
  const rows = $("admin-runs");
  rows.replaceChildren();
  for (const r of runs.runs || []) {
    const tr = el("tr");
    const cancel = el("button", "Cancel");
    cancel.type = "button";
    cancel.setAttribute("aria-label", "Cancel run " + r.id);
    cancel.addEventListener("click", () => api("POST", "/v1/admin/runs/" + r.id + "/cancel").then(() => refreshLists(api)));
    const td = el("td");
    td.append(cancel);
    tr.append(el("td", r.id), el("td", r.user_id), el("td", r.tier), el("td", r.status), el("td", r.queue_position ?? "–"), td);
    rows.append(tr);
  }
  const ul = $("admin-users");
  ul.replaceChildren();
  for (const u of users.users || []) ul.append(el("li", u.user_id + " (" + u.tier + "): " + u.running + " running of " + u.limits.max_running + ", " + u.queued + " queued"));
  const sw = $("admin-switches");
  sw.replaceChildren();
  for (const s of switches.switches || []) {
    const li = el("li", s.kind + " " + s.name + " is off (" + s.mode + ")" + (s.reason ? ": " + s.reason : "") + " ");
    const on = el("button", "Turn back on");
    on.type = "button";
    on.setAttribute("aria-label", "Turn " + s.kind + " " + s.name + " back on");
    on.addEventListener("click", () => api("DELETE", "/v1/admin/switches/" + s.kind + "/" + s.name).then(() => refreshLists(api)));
    li.append(on);
    sw.append(li);
  }
  const box = $("admin-audit");
  box.replaceChildren();
  if (!audit) {
    box.textContent = "unavailable";
  } else {
    const d = el("dl", undefined, "facts");
    const cp = audit.checkpoint || {};
    for (const [k, v] of [
      ["Latest signed checkpoint", cp.at ? cp.at.replace("T", " ").slice(0, 19) + " UTC (number " + cp.seq + ")" : "none yet"],
      ["Chains held for a break", String((audit.breaks || []).length)],
      ["Checkpoint key", audit.key || "–"],
    ])
      d.append(el("dt", k), el("dd", v));
    box.append(d);
  }
}

export async function showAdmin(api, token) {
  stopAdmin();
  const ctrl = new AbortController();
  live = ctrl;
  refreshLists(api);
  const res = await fetch("/v1/admin/live", { headers: { Authorization: "Bearer " + token }, signal: ctrl.signal });
  if (!res.ok) {
    $("admin-tiles").textContent = "The live stream is unavailable (" + res.status + ").";
    return;
  }
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = "";
  let n = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = frame.split("\n").find((l) => l.startsWith("data: "));
        if (!data) continue;
        const s = JSON.parse(data.slice(6));
        history.push(s);
        if (history.length > 120) history.shift();
        tiles(s);
        spark("spark-running", "runs_running", "Runs running");
        spark("spark-event", "event_p95_ms", "Event latency p95 (ms)");
        if (++n % 5 === 0) refreshLists(api);
      }
    }
  } catch (e) {
    // aborted: the page was left
  }
}

export function stopAdmin() {
  if (live) live.abort();
  live = null;
}

export function wireAdmin(api) {
  $("switch-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    await api("POST", "/v1/admin/switches", { kind: $("switch-kind").value, name: $("switch-name").value.trim(), mode: $("switch-mode").value, reason: "from the dashboard" });
    $("switch-name").value = "";
    refreshLists(api);
  });
}
