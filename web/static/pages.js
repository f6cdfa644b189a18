// The data and usage pages. Every value from the server is set with textContent.

import { $, el } from "./dom.js";
const dl = (pairs) => {
  const d = el("dl", undefined, "facts");
  for (const [k, v] of pairs) d.append(el("dt", k), el("dd", String(v)));
  return d;
};
const typeOf = (name) => (/\.csv$/i.test(name) ? "text/csv" : /\.json$/i.test(name) ? "application/json" : "application/x-ndjson");

export async function showData(api, token) {
  const sum = await api("GET", "/v1/workloads/summary");
  const t = sum.last_30_days || {};
  $("data-summary").replaceChildren(dl([
    ["Records", sum.records.toLocaleString() + " of " + sum.limit.toLocaleString()],
    ["From", sum.first ? sum.first.slice(0, 10) : "–"],
    ["To", sum.last ? sum.last.slice(0, 10) : "–"],
    ["Last 30 days", (t.requests || 0).toLocaleString() + " requests, $" + (t.cost_usd || 0).toFixed(2)],
  ]));
  const keys = await api("GET", "/v1/keys");
  const list = $("key-list");
  list.replaceChildren();
  for (const k of keys.keys || []) {
    const li = el("li", (k.name || "unnamed") + " · " + k.prefix + "… · made " + k.created_at.slice(0, 10) + (k.last_used_at ? " · used " + k.last_used_at.slice(0, 10) : ""));
    const revoke = el("button", "Revoke");
    revoke.type = "button";
    revoke.setAttribute("aria-label", "Revoke key " + (k.name || k.prefix));
    revoke.addEventListener("click", async () => {
      if (!confirm("Revoke this key? Exporters that use it stop at once.")) return;
      await api("DELETE", "/v1/keys/" + k.id);
      showData(api, token);
    });
    li.append(" ", revoke);
    list.append(li);
  }
}

// upload sends a file with a progress bar (XMLHttpRequest: fetch reports no upload progress).
export function upload(file, token, done) {
  const bar = $("upload-progress");
  const status = $("upload-status");
  bar.hidden = false;
  bar.value = 0;
  status.textContent = "Uploading " + file.name + "…";
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/v1/workloads/records");
  xhr.setRequestHeader("Authorization", "Bearer " + token);
  xhr.setRequestHeader("Content-Type", typeOf(file.name));
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) bar.value = e.loaded / e.total;
  };
  xhr.onload = () => {
    bar.value = 1;
    let res = {};
    try {
      res = JSON.parse(xhr.responseText);
    } catch (e) {}
    if (xhr.status === 201) status.textContent = res.accepted + " accepted, " + res.duplicates + " duplicates, " + res.rejected + " rejected.";
    else status.textContent = "Refused: " + ((res.error && res.error.message) || xhr.statusText) + (res.errors && res.errors.length ? " (line " + res.errors[0].line + ": " + res.errors[0].message + ")" : "");
    done();
  };
  xhr.onerror = () => {
    status.textContent = "The upload failed: the connection dropped.";
    done();
  };
  xhr.send(file);
}

export async function createKey(api) {
  const k = await api("POST", "/v1/keys", { name: $("key-name").value.trim() });
  $("key-name").value = "";
  const box = $("new-key");
  box.hidden = false;
  $("new-key-value").textContent = k.key;
  $("otel-snippet").textContent =
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=" + location.origin + "/v1/traces\n" +
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf\n" +
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS=X-Netra-Key=" + k.key;
}

export async function showUsage(api) {
  const me = await api("GET", "/v1/me");
  const mu = me.model_usage || {};
  const pairs = [
    ["User", me.user_id],
    ["Tier", me.tier + (me.role === "admin" ? " (admin)" : "")],
    ["Runs", me.usage.running + " running of " + me.limits.max_running + ", " + me.usage.queued + " queued of " + me.limits.max_queued],
    ["Requests", me.rate_limits.requests_per_sec + " a second (bursts of " + me.rate_limits.request_burst + ")"],
    ["Model tokens, " + (mu.month || ""), ((mu.total && mu.total.input_tokens + mu.total.output_tokens) || 0).toLocaleString() +
      (mu.token_budget ? " of " + mu.token_budget.toLocaleString() + " (" + mu.tokens_left.toLocaleString() + " left)" : " (no budget)")],
  ];
  $("usage-facts").replaceChildren(dl(pairs));
  const audit = await api("GET", "/v1/audit?limit=100"); // oldest first
  const rows = $("audit-rows");
  rows.replaceChildren();
  for (const a of audit.entries || []) {
    const tr = el("tr");
    tr.append(el("td", (a.at || "").replace("T", " ").slice(0, 19)), el("td", a.action), el("td", a.outcome), el("td", a.detail || ""));
    rows.append(tr);
  }
}
