// swarmdeck console, cluster pages: the live nodes × tasks map and JSON forms with other methods.
// Everything from the server is written with textContent: never parsed as HTML.
// Every call goes to the endpoint the page shows (scoped(), from app.js), and every value in a
// URL's path is one segment (segment(), from app.js).
"use strict";

function drawMap(box, map) {
  const table = document.createElement("table");
  table.className = "swarm-map";
  const head = table.createTHead().insertRow();
  for (const node of map.nodes) {
    const th = document.createElement("th");
    th.textContent = `${node.hostname} (${node.id.slice(0, 12)})`;
    const small = document.createElement("small");
    small.textContent = ` ${node.role}, ${node.state}, ${node.availability}`;
    th.append(small);
    th.dataset.node = node.id;
    head.append(th);
  }
  const row = table.createTBody().insertRow();
  for (const node of map.nodes) {
    const cell = row.insertCell();
    cell.dataset.node = node.id;
    for (const task of map.tasks.filter((t) => t.node_id === node.id)) {
      const chip = document.createElement("div");
      chip.className = "task state-" + task.state;
      chip.dataset.task = task.id;
      chip.textContent = `${task.service}${task.slot ? "." + task.slot : ""} ${task.state}`;
      cell.append(chip);
    }
  }
  const unplaced = map.tasks.filter((t) => !t.node_id).length;
  box.replaceChildren(table);
  if (unplaced) {
    const note = document.createElement("p");
    note.textContent = `${unplaced} task(s) not placed on a node yet`;
    box.append(note);
  }
}

function liveMap() {
  const box = document.querySelector("[data-swarm-map]");
  if (!box) return;
  const source = new EventSource(scoped(box.dataset.swarmMap));
  source.addEventListener("map", (msg) => drawMap(box, JSON.parse(msg.data)));
}

async function submitOther(event) {
  event.preventDefault();
  const form = event.target;
  const error = form.querySelector(".form-error");
  error.hidden = true;
  const jsonFields = (form.dataset.jsonFields || "").split(",").filter(Boolean);
  const body = {};
  try {
    for (const el of form.elements) {
      if (!el.name || el.value === "") continue;
      body[el.name] = jsonFields.includes(el.name) ? JSON.parse(el.value) : el.value;
    }
  } catch (e) { error.textContent = "not valid JSON: " + e.message; error.hidden = false; return; }
  const token = document.body.dataset.csrf;
  const response = await fetch(scoped(form.dataset.clusterApi), {
    method: form.dataset.method || "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", ...(token ? { "X-CSRF-Token": token } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).detail || message; } catch { /* not JSON */ }
    error.textContent = message; error.hidden = false; return;
  }
  notify(form, null, form.dataset.then);  // app.js: the notice that it worked
  if (form.dataset.then === "reload") location.reload(); else if (form.dataset.then) location.assign(form.dataset.then);
}

// Select line LINE (1-based) of the editor and scroll it into view.
function showLine(textarea, line) {
  const rows = textarea.value.split("\n");
  const start = rows.slice(0, line - 1).reduce((n, row) => n + row.length + 1, 0);
  textarea.focus();
  textarea.setSelectionRange(start, start + (rows[line - 1] ?? "").length);
  const height = parseFloat(getComputedStyle(textarea).lineHeight) || 16;
  textarea.scrollTop = Math.max(0, (line - 3) * height);
}

// The stack editor: plan or deploy compose text; refusals are listed with their line, and
// the first one's line is selected in the editor (a click on a refusal selects its line).
async function submitStack(event) {
  event.preventDefault();
  const form = event.target;
  const problems = document.getElementById("stack-problems");
  const result = document.getElementById("stack-result");
  problems.hidden = true; result.hidden = true;
  const say = (lines) => { problems.replaceChildren(...lines.map((text) => {
    const li = document.createElement("li"); li.textContent = text; return li; })); problems.hidden = false; };
  let env = {};
  try { if (form.elements.env.value) env = JSON.parse(form.elements.env.value); } catch (e) { say(["variables: not valid JSON: " + e.message]); return; }
  const token = document.body.dataset.csrf;
  const response = await fetch(scoped(`/api/stacks/${segment(form.elements.name.value)}/deploy`), {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", ...(token ? { "X-CSRF-Token": token } : {}) },
    body: JSON.stringify({ compose: form.elements.compose.value, env, plan: event.submitter?.value === "plan",
                           ...(form.dataset.restores ? { restores: Number(form.dataset.restores) } : {}) }),
  });
  let answer = {};
  try { answer = await response.json(); } catch { /* not JSON */ }
  if (!response.ok) {
    say(answer.problems ? answer.problems.map((p) => `line ${p.line ?? "?"}, column ${p.column ?? "?"}: ${p.path ? p.path + ": " : ""}${p.message}`)
                        : [answer.detail || response.statusText]);
    const lines = (answer.problems || []).map((p) => p.line);
    problems.querySelectorAll("li").forEach((li, i) => {
      if (lines[i]) li.addEventListener("click", () => showLine(form.elements.compose, lines[i]));
    });
    if (lines[0]) showLine(form.elements.compose, lines[0]);
    return;
  }
  result.textContent = [...answer.plan, ...answer.warnings, ...answer.output].join("\n") || "nothing to do";
  result.hidden = false;
  form.dispatchEvent(new CustomEvent("stack-done", { detail: { plan: event.submitter?.value === "plan", answer } }));
  if (event.submitter?.value !== "plan") watchConvergence(answer.stack);
}

// After a deploy: per-service progress from the stack's convergence stream, then the verdict.
let convergence = null;
function watchConvergence(stack) {
  convergence?.close();
  const box = document.getElementById("stack-progress");
  const rows = box.querySelector("tbody");
  const outcome = document.getElementById("stack-outcome");
  rows.replaceChildren();
  outcome.className = "";
  outcome.textContent = "waiting for every task to run…";
  box.hidden = false;
  const source = new EventSource(scoped(`/api/stacks/${segment(stack)}/converge`));
  convergence = source;
  const draw = (msg) => {
    const snapshot = JSON.parse(msg.data);
    rows.replaceChildren(...snapshot.services.map((s) => {
      const tr = document.createElement("tr");
      tr.dataset.service = s.name;
      for (const text of [s.name, `${s.running}/${s.desired}`, s.problems.join("; ")]) tr.insertCell().textContent = text;
      if (s.converged) tr.cells[1].className = "state-running";
      else if (s.problems.length) tr.className = "failed";
      return tr;
    }));
    return snapshot;
  };
  source.addEventListener("progress", draw);
  source.addEventListener("end", (msg) => {
    source.close();
    const snapshot = draw(msg);
    const done = snapshot.state === "converged";
    outcome.className = done ? "state-running" : "error-text";
    outcome.textContent = done ? "converged" : `failed: ${snapshot.reason}`;
  });
  source.addEventListener("error", () => {
    if (source.readyState !== EventSource.CLOSED || convergence !== source) return;
    outcome.className = "error-text";
    outcome.textContent = "the progress stream was refused; reload the page to see the stack";
  });
}

// An uploaded compose file goes into the editor (read here, never sent as a file): it is
// then planned or deployed like typed text, with its refusals at their lines.
async function loadUpload(event) {
  const file = event.target.files[0];
  if (!file) return;
  const form = event.target.form;
  form.elements.compose.value = await file.text();
  if (!form.elements.name.value) form.elements.name.value = file.name.replace(/\.(ya?ml)$/i, "").replace(/[^a-zA-Z0-9_.-]/g, "-");
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-cluster-api]")) form.addEventListener("submit", submitOther);
  document.getElementById("stack-editor")?.addEventListener("submit", submitStack);
  document.querySelector("#stack-editor input[name=upload]")?.addEventListener("change", loadUpload);
  liveMap();
});
