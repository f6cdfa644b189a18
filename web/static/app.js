// Netra's web app: sign-in, threads, and runs that stream. No framework, no build step; every
// piece of text from the server reaches the page through textContent, never as HTML.
import { $ } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import { renderCharts } from "./charts.js";
import { showData, showUsage, upload, createKey } from "./pages.js";
import { showAdmin, stopAdmin, wireAdmin } from "./admin.js";

const state = { token: sessionStorage.getItem("netra.token") || "", thread: "", ws: null, runs: new Map(), pending: new Map(), nextID: 1 };

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: "Bearer " + state.token, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status === 401) {
    signOut(false);
    throw new Error("signed out");
  }
  const data = res.status === 204 ? {} : await res.json();
  if (!res.ok) throw new Error((data.error && data.error.message) || res.statusText);
  return data;
}

// A sign-in link carries a one-time code in its fragment (never sent to a server log).
async function redeemLink() {
  const m = location.hash.match(/^#code=([A-Za-z0-9._-]+)$/);
  if (!m) return;
  history.replaceState(null, "", location.pathname);
  const res = await fetch("/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code: m[1] }) });
  const data = await res.json();
  if (!res.ok) {
    $("signin-error").textContent = (data.error && data.error.message) || "the link did not work";
    return;
  }
  state.token = data.token;
  sessionStorage.setItem("netra.token", data.token);
}

function signOut(tellServer) {
  if (tellServer && state.token) fetch("/v1/auth/logout", { method: "POST", headers: { Authorization: "Bearer " + state.token } });
  state.token = "";
  sessionStorage.removeItem("netra.token");
  stopAdmin();
  if (state.ws) state.ws.close();
  show();
}

const pageOf = () => (state.token ? { "#/data": "data", "#/usage": "usage", "#/admin": "admin" }[location.hash] || "chat" : "signin");

// focusPage moves the focus to where the page starts: the question on the chat page, else
// the page's heading.
function focusPage() {
  const page = pageOf();
  (page === "chat" ? $("question") : $(page).querySelector("h1")).focus();
}

// route shows the page the fragment names: #/ (chat), #/data, #/usage. A page reached from
// the menu takes the focus and names itself in the title, as a new page would for a screen
// reader.
function route(e) {
  const page = { "#/data": "data", "#/usage": "usage", "#/admin": "admin" }[location.hash] || "chat";
  document.title = (state.token ? $(page).querySelector("h1").textContent : "Sign in") + " · Netra";
  for (const id of ["chat", "data", "usage", "admin"]) $(id).hidden = !state.token || id !== page;
  if (e && e.type === "hashchange") focusPage();
  if (page !== "admin") stopAdmin();
  for (const a of document.querySelectorAll(".top nav a")) a.toggleAttribute("aria-current", a.getAttribute("href") === (location.hash || "#/"));
  if (!state.token) return;
  if (page === "chat") api("GET", "/v1/workloads/summary").then((sum) => ($("empty").hidden = sum.records > 0), () => {});
  if (page === "data") showData(api, state.token);
  if (page === "usage") showUsage(api);
  if (page === "admin") showAdmin(api, state.token);
}

async function show() {
  const signedIn = !!state.token;
  $("signin").hidden = signedIn;
  $("signout").hidden = !signedIn;
  route();
  if (!signedIn) {
    $("who").textContent = "";
    fetch("/v1/auth/config").then((r) => r.json()).then((c) => ($("oidc").hidden = !c.oidc), () => {});
    return;
  }
  try {
    const me = await api("GET", "/v1/me");
    $("who").textContent = me.user_id + " · " + me.tier;
    $("admin-link").hidden = me.role !== "admin";
  } catch (e) {
    return;
  }
  await loadThreads();
  connect();
}

// A new user's first step: a demo dataset, then a question worth asking.
async function demoData() {
  $("demo").disabled = true;
  $("demo-status").textContent = "Generating 30 days of demo traffic…";
  try {
    const res = await api("POST", "/v1/workloads/synthetic", { preset: "mixed", days: 30 });
    $("demo-status").textContent = res.accepted + " records ready.";
    $("empty").hidden = true;
    $("question").value = "how can I reduce my LLM costs?";
    $("question").focus();
  } catch (e) {
    $("demo-status").textContent = "Could not generate data: " + e.message;
    $("demo").disabled = false;
  }
}

async function loadThreads() {
  const data = await api("GET", "/v1/threads?limit=50");
  const list = $("thread-list");
  list.replaceChildren();
  for (const t of data.threads || []) {
    const li = document.createElement("li");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "thread" + (t.id === state.thread ? " current" : "");
    if (t.id === state.thread) open.setAttribute("aria-current", "true");
    open.textContent = t.title || "Untitled";
    open.addEventListener("click", () => openThread(t.id));
    const del = document.createElement("button");
    del.type = "button";
    del.className = "delete";
    del.textContent = "×";
    del.setAttribute("aria-label", "Delete thread " + (t.title || "Untitled"));
    del.addEventListener("click", async () => {
      if (!confirm("Delete this thread and its runs?")) return;
      await api("DELETE", "/v1/threads/" + t.id);
      if (state.thread === t.id) newThread();
      loadThreads();
    });
    const ren = document.createElement("button");
    ren.type = "button";
    ren.className = "delete rename";
    ren.textContent = "✎";
    ren.setAttribute("aria-label", "Rename thread " + (t.title || "Untitled"));
    ren.addEventListener("click", () => {
      // Edited in place: Enter or leaving the field saves, Escape keeps the old title.
      const input = document.createElement("input");
      input.className = "rename-input";
      input.value = t.title || "";
      input.setAttribute("aria-label", "New title");
      let done = false;
      const save = async (keep) => {
        if (done) return;
        done = true;
        if (!keep && input.value.trim() !== (t.title || "")) await api("PATCH", "/v1/threads/" + t.id, { title: input.value.trim() });
        loadThreads();
      };
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") save(false);
        if (e.key === "Escape") save(true);
      });
      input.addEventListener("blur", () => save(false));
      open.replaceWith(input);
      input.focus();
      input.select();
    });
    li.append(open, ren, del);
    list.append(li);
  }
}

function newThread() {
  state.thread = "";
  $("messages").replaceChildren();
  $("question").focus();
}

async function openThread(id) {
  state.thread = id;
  $("messages").replaceChildren();
  const data = await api("GET", "/v1/threads/" + id + "/messages?limit=100");
  for (const m of data.messages || []) addMessage(m.role, m.content);
  loadThreads();
}

function addMessage(role, text) {
  const li = document.createElement("li");
  li.className = "msg " + role;
  if (role === "assistant") li.append(renderMarkdown(text));
  else li.textContent = text;
  $("messages").append(li);
  li.scrollIntoView({ block: "end" });
  return li;
}

// The WebSocket: a ticket (never the token in the URL), then events by run; on a drop,
// reconnect and resume every open run after the last seq seen.
async function connect() {
  if (state.ws && state.ws.readyState <= 1) return;
  let ticket;
  try {
    ticket = (await api("POST", "/v1/ws-tickets")).ticket;
  } catch (e) {
    return;
  }
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/ws?ticket=" + encodeURIComponent(ticket), "netra.v1");
  state.ws = ws;
  ws.addEventListener("open", async () => {
    for (const [runID, run] of state.runs) if (!run.done) send({ type: "resume", run_id: runID, after_seq: run.seq });
    await adoptUnacknowledged();
  });
  ws.addEventListener("message", (m) => onFrame(JSON.parse(m.data)));
  ws.addEventListener("close", () => {
    if (state.ws === ws && state.token) setTimeout(connect, 500);
  });
}

function send(frame) {
  frame.id = String(state.nextID++);
  state.ws.send(JSON.stringify(frame));
  return frame.id;
}

// adopt ties a run the server accepted to the view that asked for it.
function adopt(runID, threadID, view, position) {
  state.thread = threadID;
  state.runs.set(runID, { view, seq: 0, done: false, text: "", waiting: new Map() });
  view.cancel.onclick = () => send({ type: "cancel_run", run_id: runID });
  if (position) view.status.textContent = "Queued, position " + position;
  loadThreads();
}

// adoptUnacknowledged finds, after a reconnect, the runs whose run_accepted the dropped socket
// never delivered: the newest unknown runs created since the question was sent (in its thread,
// when it had one), and resumes them from their start.
async function adoptUnacknowledged() {
  if (state.pending.size === 0) return;
  const runs = (await api("GET", "/v1/runs?limit=20")).runs || [];
  for (const [id, view] of [...state.pending].reverse()) {
    const r = runs.find((r) => !state.runs.has(r.id) && Date.parse(r.created_at) >= view.sentAt - 5000 && (!view.thread || r.thread_id === view.thread));
    if (!r) continue;
    state.pending.delete(id);
    adopt(r.id, r.thread_id, view);
    send({ type: "resume", run_id: r.id, after_seq: 0 });
  }
}

function onFrame(f) {
  if (f.type === "run_accepted") {
    const view = state.pending.get(f.id);
    state.pending.delete(f.id);
    if (view) adopt(f.run_id, f.thread_id, view, f.queue_position);
    return;
  }
  if (f.type === "error") {
    const view = state.pending.get(f.id);
    if (view) view.status.textContent = "Refused: " + f.message;
    return;
  }
  const run = f.run_id && state.runs.get(f.run_id);
  if (!run || f.seq <= run.seq || run.waiting.has(f.seq)) return; // another tab's run, or a duplicate across resume
  // Applied in seq order: after a reconnect, live events can come before the resumed ones
  // (contract §3), so a later event waits until the ones before it have come.
  run.waiting.set(f.seq, f);
  for (let ev; (ev = run.waiting.get(run.seq + 1)); ) {
    run.waiting.delete(ev.seq);
    run.seq = ev.seq;
    onEvent(run, ev);
  }
}

function onEvent(run, ev) {
  const v = run.view;
  const d = ev.data || {};
  const entry = (text, cls) => {
    const li = document.createElement("li");
    li.className = cls || "";
    li.textContent = text;
    li.dataset.at = String(Date.now()); // when it appeared: the page's latency, measured by the tests
    v.timeline.append(li);
    return li;
  };
  switch (ev.type) {
    case "run_queued":
      v.status.textContent = "Queued, position " + d.position + (d.eta_ms ? ", about " + Math.ceil(d.eta_ms / 1000) + " s" : "");
      break;
    case "run_started":
      v.status.textContent = "Running";
      entry("started");
      break;
    case "agent_started":
      entry(ev.agent + " started", "agent");
      break;
    case "agent_thinking":
      entry(ev.agent + ": " + d.text, "thinking");
      break;
    case "tool_executing":
      run.calls = run.calls || new Map();
      run.calls.set(d.call_id, entry(ev.agent + " → " + d.tool + " " + JSON.stringify(d.args || {}).slice(0, 160), "tool"));
      break;
    case "tool_completed": {
      const li = run.calls && run.calls.get(d.call_id);
      if (li) li.textContent += d.ok ? " ✓ " + d.duration_ms.toFixed(1) + " ms" : " ✗ " + (d.error ? d.error.message : "failed");
      break;
    }
    case "agent_completed":
      entry(ev.agent + " done in " + d.duration_ms.toFixed(1) + " ms", "agent");
      break;
    case "agent_error":
      entry(ev.agent + " failed: " + d.message, "error");
      break;
    case "message_delta":
      run.text += d.text;
      v.answer.replaceChildren(renderMarkdown(run.text));
      break;
    case "run_completed": {
      run.done = true;
      v.answer.setAttribute("aria-busy", "false");
      v.details.open = false;
      v.status.textContent = "Completed";
      v.cancel.hidden = true;
      const out = d.output;
      const md = typeof out === "string" ? out : (out && out.markdown) || JSON.stringify(out);
      v.answer.replaceChildren(renderMarkdown(md), renderCharts(out && out.report));
      break;
    }
    case "run_failed":
      run.done = true;
      v.answer.setAttribute("aria-busy", "false");
      v.details.open = false;
      v.cancel.hidden = true;
      v.status.textContent = "Failed: " + d.message + " (" + d.code + ")";
      if (d.output && d.output.markdown) v.answer.replaceChildren(renderMarkdown(d.output.markdown));
      break;
    case "run_cancelled":
      run.done = true;
      v.answer.setAttribute("aria-busy", "false");
      v.details.open = false;
      v.cancel.hidden = true;
      v.status.textContent = "Cancelled";
      break;
  }
}

function ask(text) {
  $("empty").hidden = true;
  addMessage("user", text);
  const li = document.createElement("li");
  li.className = "msg assistant run";
  const status = document.createElement("p");
  status.className = "status";
  status.setAttribute("role", "status");
  status.textContent = "Sending…";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.textContent = "Cancel";
  cancel.setAttribute("aria-label", "Cancel this question's run");
  const details = document.createElement("details");
  details.open = true; // folded when the run ends
  const summary = document.createElement("summary");
  summary.textContent = "Timeline";
  const timeline = document.createElement("ol");
  timeline.className = "timeline";
  details.append(summary, timeline);
  // The answer is read out once it is whole: busy while it streams, so a screen reader does
  // not announce it again at every piece.
  const answer = document.createElement("div");
  answer.className = "answer";
  answer.setAttribute("aria-live", "polite");
  answer.setAttribute("aria-busy", "true");
  li.append(status, cancel, details, answer);
  $("messages").append(li);
  const frame = { type: "start_run", input: text };
  if (state.thread) frame.thread_id = state.thread;
  state.pending.set(send(frame), { status, cancel, details, timeline, answer, sentAt: Date.now(), thread: state.thread });
}

document.addEventListener("DOMContentLoaded", async () => {
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.token = $("token").value.trim();
    sessionStorage.setItem("netra.token", state.token);
    show();
  });
  $("signout").addEventListener("click", () => signOut(true));
  $("skip").addEventListener("click", (e) => {
    e.preventDefault(); // the fragment names pages here: skip without leaving this one
    focusPage();
  });
  $("new-thread").addEventListener("click", newThread);
  $("demo").addEventListener("click", demoData);
  window.addEventListener("hashchange", route);
  wireAdmin(api);
  $("upload-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = $("upload-file").files[0];
    if (f) upload(f, state.token, () => showData(api, state.token));
  });
  $("key-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    await createKey(api);
    showData(api, state.token);
  });
  $("delete-data").addEventListener("click", async () => {
    if (!confirm("Delete all your records? This cannot be undone.")) return;
    await api("DELETE", "/v1/workloads");
    showData(api, state.token);
  });
  $("ask-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = $("question").value.trim();
    if (!q) return;
    if (!state.ws || state.ws.readyState !== 1) {
      $("ask-status").textContent = "Not connected to the server yet; reconnecting. Your question is kept: ask again in a moment.";
      connect();
      return;
    }
    $("ask-status").textContent = "";
    $("question").value = "";
    ask(q);
  });
  $("question").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  await redeemLink();
  show();
});
