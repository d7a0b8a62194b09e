// swarmdeck console: a stack's history (diff two versions, put an older one back in the
// editor; the stack page's Deploy waits for a plan of the editor's text) and the app
// templates (fill the editor, with a form of the template's variables).
// Everything from the server is written with textContent or .value: never parsed as HTML.
"use strict";

async function getJSON(url) {
  const response = await fetch(scoped(url), { credentials: "same-origin" });
  let answer = {};
  try { answer = await response.json(); } catch { /* not JSON */ }
  if (!response.ok) throw new Error(answer.detail || response.statusText);
  return answer;
}

// --- the stack page -------------------------------------------------------------------
function stackName() { return document.getElementById("stack-editor")?.dataset.stack; }

// The stack page's Deploy is enabled by a plan of exactly the text in the editor.
function planFirst(form) {
  const deployButton = document.getElementById("stack-deploy");
  if (!deployButton) return;
  const off = () => { deployButton.disabled = true; deployButton.title = "plan first"; };
  form.addEventListener("input", (event) => {
    off();
    if (event.isTrusted) { delete form.dataset.restores; document.getElementById("stack-from").textContent = ""; }  // typed: no longer that version
  });
  form.addEventListener("stack-done", (event) => {
    if (event.detail.plan) { deployButton.disabled = false; deployButton.title = ""; return; }
    off();
    delete form.dataset.restores;
    refreshHistory();
  });
}

// After a deploy, the history as the server now has it (the page's own markup, autoescaped).
async function refreshHistory() {
  const response = await fetch(location.href, { credentials: "same-origin" });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const id of ["stack-current", "stack-history"]) {
    const part = fresh.getElementById(id);
    if (part) document.getElementById(id)?.replaceWith(document.adoptNode(part));
  }
}

async function loadVersion(button) {
  const form = document.getElementById("stack-editor");
  const from = document.getElementById("stack-from");
  try {
    const v = await getJSON(`/api/stacks/${segment(stackName())}/file?version=${encodeURIComponent(button.dataset.version)}`);
    form.elements.compose.value = v.compose;
    form.elements.env.value = Object.keys(v.env || {}).length ? JSON.stringify(v.env) : "";
    form.elements.compose.dispatchEvent(new Event("input", { bubbles: true }));
    form.dataset.restores = String(v.version);  // named in the deploy's audit entry
    from.textContent = `version ${v.version} in the editor: plan it, then deploy`;
  } catch (e) { from.textContent = `version ${button.dataset.version}: ${e.message}`; }
}

async function showDiff() {
  const box = document.getElementById("stack-diff");
  const old = document.querySelector("input[name=diff-old]:checked")?.value;
  const fresh = document.querySelector("input[name=diff-new]:checked")?.value;
  box.hidden = false;
  if (!old || !fresh) { box.textContent = "choose two versions"; return; }
  try {
    const d = await getJSON(`/api/stacks/${segment(stackName())}/diff?old=${encodeURIComponent(old)}&new=${encodeURIComponent(fresh)}`);
    box.replaceChildren(...(d.diff || "the same text\n").split("\n").map((line) => {
      const span = document.createElement("span");
      span.textContent = line + "\n";
      if (line.startsWith("+") && !line.startsWith("+++")) span.className = "diff-add";
      else if (line.startsWith("-") && !line.startsWith("---")) span.className = "diff-del";
      return span;
    }));
  } catch (e) { box.textContent = e.message; }
}

// --- templates (the stacks page) ------------------------------------------------------
let templates = null;

function setVariables(form, box) {
  const env = {};
  for (const input of box.querySelectorAll("input")) if (input.value !== "") env[input.dataset.variable] = input.value;
  form.elements.env.value = Object.keys(env).length ? JSON.stringify(env) : "";
}

async function useTemplate(button) {
  const form = document.getElementById("stack-editor");
  const box = document.getElementById("template-variables");
  templates ??= await getJSON("/api/templates");
  const chosen = templates.find((t) => t.key === button.dataset.template);
  if (!chosen) return;
  document.getElementById("stack-editor-box").open = true;
  form.elements.compose.value = chosen.compose;
  if (!form.elements.name.value) form.elements.name.value = chosen.key.replace(/[^a-zA-Z0-9_.-]/g, "-");
  const legend = document.createElement("legend");
  legend.textContent = `Variables of ${chosen.title}`;
  box.replaceChildren(legend, ...chosen.variables.map((v) => {
    const label = document.createElement("label");
    label.textContent = v.name + " ";
    const input = document.createElement("input");
    input.value = v.default;
    input.required = v.required;
    input.dataset.variable = v.name;
    input.addEventListener("input", () => setVariables(form, box));
    label.append(input);
    return label;
  }));
  box.hidden = chosen.variables.length === 0;
  setVariables(form, box);
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("stack-editor");
  if (form?.dataset.stack) planFirst(form);
  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLElement)) return;
    if (target.matches("button.load-version")) loadVersion(target);
    else if (target.id === "stack-diff-button") showDiff();
    else if (target.matches("button.use-template")) useTemplate(target);
  });
});
