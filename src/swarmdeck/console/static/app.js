// swarmdeck console: JSON forms, htmx follow-ups, and live updates by server-sent events.
// Everything from the server is written with textContent: never parsed as HTML.
"use strict";

function csrfHeaders() {
  const token = document.body.dataset.csrf;
  return token ? { "X-CSRF-Token": token } : {};
}

// Any value as exactly one URL path segment (as the pages' `segment` filter does): "/", "?",
// "#" and "%" encoded, and a whole "." or ".." encoded twice, since URL parsers resolve "%2E%2E"
// as a dot-segment too. Every value a script puts in a URL's path goes through it.
function segment(value) {
  const text = String(value);
  return text === "." || text === ".." ? text.replaceAll(".", "%252E") : encodeURIComponent(text);
}

// On a resource page (#endpoint-scope), every call the page makes goes to the endpoint it shows.
function scoped(url) {
  const scope = document.getElementById("endpoint-scope");
  if (!scope || !url.startsWith("/")) return url;
  const target = new URL(url, location.origin);
  if (!target.searchParams.has("endpoint")) target.searchParams.set("endpoint", scope.dataset.endpoint);
  return target.pathname + target.search;
}

function flash(message) {
  const box = document.getElementById("flash");
  box.textContent = message;
  box.hidden = !message;
}

// After a change succeeds, a notice says so on the page it leads to (kept in sessionStorage
// across the reload): the element's data-notice ("" for none; else its button's words and
// "done"), and what the answer sums up (an endpoint's or registry's check, what a garbage
// collection freed). data-busy says what runs meanwhile, for long actions.
const NOTICE_KEY = "swarmdeck-notice";

function showNotice(message) {
  let box = document.getElementById("notice");
  if (!box) {
    box = document.createElement("p");
    box.id = "notice";
    box.setAttribute("role", "status");
    document.getElementById("flash").before(box);
  }
  box.textContent = message;
  box.hidden = !message;
}

function notify(elt, answer, then) {
  const button = elt.matches("form") ? elt.querySelector("button[type=submit]") : elt;
  const said = elt.dataset.notice ?? `${(button || elt).textContent.trim()}: done.`;
  if (!said) return;
  const sum = answer && typeof answer === "object" ? (answer.check && answer.check.summary) || answer.summary : "";
  const message = sum ? `${said} ${sum}` : said;
  if (then) sessionStorage.setItem(NOTICE_KEY, message); else showNotice(message);
}

function follow(then) {
  if (!then) return;
  if (then === "reload") location.reload(); else location.assign(then);
}

async function detail(response) {
  try { return (await response.json()).detail || response.statusText; } catch { return response.statusText; }
}

// Forms with data-api post their fields as JSON; fields named in data-json-fields hold JSON,
// those in data-lines-fields a list (one item per non-empty line).
function formBody(form) {
  const jsonFields = (form.dataset.jsonFields || "").split(",").filter(Boolean);
  const lineFields = (form.dataset.linesFields || "").split(",").filter(Boolean);
  const body = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === "checkbox") { body[el.name] = el.checked; continue; }
    if (lineFields.includes(el.name)) { body[el.name] = el.value.split("\n").map((l) => l.trim()).filter(Boolean); continue; }
    if (el.value === "") continue;
    if (jsonFields.includes(el.name)) body[el.name] = JSON.parse(el.value);
    else if (el.type === "number") body[el.name] = Number(el.value);
    else body[el.name] = el.value;
  }
  return body;
}

async function submitForm(event) {
  event.preventDefault();
  const form = event.target;
  const error = form.querySelector(".form-error");
  error.hidden = true;
  // enctype="multipart/form-data" (an upload) goes as it is; other forms as JSON.
  const multipart = form.enctype === "multipart/form-data";
  let body;
  try { body = multipart ? new FormData(form) : JSON.stringify(formBody(form)); } catch (e) { error.textContent = "not valid JSON: " + e.message; error.hidden = false; return; }
  const response = await fetch(scoped(form.dataset.api), {
    method: form.dataset.method || "POST", credentials: "same-origin",
    headers: multipart ? csrfHeaders() : { "Content-Type": "application/json", ...csrfHeaders() },
    body,
  });
  if (!response.ok) { error.textContent = await detail(response); error.hidden = false; return; }
  if (form.dataset.stream) { await readEvents(response, document.querySelector(form.dataset.stream)); return; }
  const answer = (response.headers.get("content-type") || "").includes("json") ? await response.json() : null;
  if (form.dataset.show) {  // one field of the answer, shown as text (a new API token)
    const out = document.querySelector(form.dataset.show);
    out.textContent = answer[form.dataset.showField];
    out.hidden = false;
    return;
  }
  notify(form, answer, form.dataset.then);
  follow(form.dataset.then);
}

// A streamed answer (text/event-stream over fetch, for POSTs such as a pull).
async function readEvents(response, out) {
  out.hidden = false;
  out.textContent = "";
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (!data) continue;
      const item = JSON.parse(data);
      const text = name === "progress" ? [item.id, item.status, item.progress].filter(Boolean).join(" ")
        : name === "error" ? "error: " + item.message
        : name === "done" ? ["done:", item.reference, item.digest || item.id].filter(Boolean).join(" ") : data;
      out.append(text + "\n");
    }
  }
}

// A container's page: its state follows the engine's container events (/api/events). The
// lists follow the engine by liveParts below.
function liveContainers() {
  const targets = document.querySelectorAll("[data-live-state]");
  if (!targets.length) return;
  const source = new EventSource(scoped("/api/events"));
  source.addEventListener("container", (msg) => {
    const change = JSON.parse(msg.data);
    for (const row of document.querySelectorAll(`[data-id="${CSS.escape(change.id)}"]`)) {
      const state = row.matches(".state") ? row : row.querySelector(".state");
      if (state) { state.textContent = change.state; state.className = "state state-" + change.state; }
      const status = row.querySelector(".status");
      if (status) status.textContent = change.status;
    }
  });
}

// Live parts of a page: elements with data-live="type,type" and an htmx hx-get of the page
// itself (hx-trigger="live", hx-select of their own id). One stream of the engine's changes
// (/api/live) for every type they name; a change of one of its types fetches that part again.
function liveParts() {
  const parts = () => document.querySelectorAll("[data-live]");
  const typesOf = (el) => el.dataset.live.split(",").filter(Boolean);
  const types = new Set([...parts()].flatMap(typesOf));
  if (!types.size) return;
  const query = new URLSearchParams([...types].map((t) => ["types", t]));
  const source = new EventSource(scoped(`/api/live?${query}`));
  let opened = false;
  source.onopen = () => {
    // Reconnected (the console or the engine's stream restarted): changes may have been missed.
    if (opened) for (const el of parts()) htmx.trigger(el, "live");
    opened = true;
    document.body.dataset.liveStream = "open";  // the engine's changes are followed from now on
  };
  source.onerror = () => { document.body.dataset.liveStream = "reconnecting"; };
  source.addEventListener("change", (msg) => {
    const changed = JSON.parse(msg.data).types;
    for (const el of parts()) if (typesOf(el).some((t) => changed.includes(t))) htmx.trigger(el, "live");
  });
}

// The events page: the engine's events as they come, newest first, each object linked to its
// page where it has one (the path made of one encoded segment).
const EVENT_PAGES = { container: "/containers/", service: "/services/", node: "/swarm/nodes/", secret: "/secrets/", config: "/configs/" };
const MAX_EVENT_ROWS = 500;

function engineEvents() {
  const table = document.querySelector("table[data-engine-events]");
  if (!table) return;
  const body = table.tBodies[0];
  const status = document.getElementById("events-status");
  const source = new EventSource(scoped(table.dataset.engineEvents));
  source.onopen = () => { status.textContent = "following the engine's events"; };
  // Reconnecting would replay the events since the page's time again: stop, and say so.
  source.onerror = () => { source.close(); status.textContent = "disconnected: reload the page to follow again"; };
  source.addEventListener("failure", (msg) => {
    status.textContent = "the engine's event stream broke: " + JSON.parse(msg.data).message;
    source.close();
  });
  source.addEventListener("event", (msg) => {
    const e = JSON.parse(msg.data);
    const row = document.createElement("tr");
    row.dataset.type = e.type;
    row.dataset.action = e.action;
    const when = new Date(e.time * 1000).toISOString().replace("T", " ").slice(0, 23);
    for (const text of [when, e.type, e.action]) row.insertCell().textContent = text;
    const object = row.insertCell();
    if (EVENT_PAGES[e.type] && e.id) {
      const link = document.createElement("a");
      link.href = scoped(EVENT_PAGES[e.type] + segment(e.id));
      link.textContent = e.name;
      object.append(link);
    } else {
      object.textContent = e.name;
    }
    row.insertCell().textContent = e.image;
    body.prepend(row);
    while (body.rows.length > MAX_EVENT_ROWS) body.deleteRow(-1);
  });
}

function followLogs() {
  const pre = document.querySelector("pre[data-follow]");
  if (!pre) return;
  const source = new EventSource(scoped(pre.dataset.follow));
  source.onmessage = (msg) => {
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.append(JSON.parse(msg.data) + "\n");
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  };
  source.addEventListener("end", () => source.close());
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-api]")) form.addEventListener("submit", submitForm);
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  document.body.addEventListener("htmx:configRequest", (event) => { event.detail.path = scoped(event.detail.path); });
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const busy = event.detail.elt.dataset.busy;
    if (busy) { showNotice(busy); event.detail.elt.disabled = true; }
  });
  document.body.addEventListener("htmx:afterRequest", async (event) => {
    const xhr = event.detail.xhr;
    const elt = event.detail.elt;
    if (elt.hasAttribute("data-live")) {  // a live refresh: no follow-up
      if (xhr.status === 404) flash("This was removed meanwhile: the page shows it as it last was.");
      return;
    }
    if (elt.dataset.busy) { showNotice(""); elt.disabled = false; }
    if (event.detail.successful) {
      flash("");
      if (elt.dataset.then) {  // a change (a fragment load has no data-then and says nothing)
        let answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
        notify(elt, answer, elt.dataset.then);
      }
      follow(elt.dataset.then);
      return;
    }
    let message = xhr.statusText;
    try { message = JSON.parse(xhr.responseText).detail || message; } catch { /* not JSON */ }
    flash(message);
  });
  const kept = sessionStorage.getItem(NOTICE_KEY);
  if (kept) { sessionStorage.removeItem(NOTICE_KEY); showNotice(kept); }
  liveContainers();
  liveParts();
  engineEvents();
  followLogs();
});
