// The service spec editor (templates/_service_edit.html): a section's form asks for the plan
// of its edit, the plan is shown (as text, never as HTML), and "Apply" sends the same edit with
// the spec's version the plan was made from; a change made meanwhile comes back as a 409.
(() => {
  const editor = document.getElementById("spec-editor");
  if (!editor) return;
  const box = document.getElementById("spec-plan");
  const boxError = box.querySelector(".form-error");
  let edits = {};  // the sections planned so far, applied together

  function values(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name) continue;
      if (el.hasAttribute("data-lines")) out[el.name] = el.value.split("\n").map((l) => l.trim()).filter(Boolean);
      else if (el.hasAttribute("data-number")) out[el.name] = Number(el.value);
      else out[el.name] = el.value;
    }
    return out;
  }

  async function post(path, body) {
    const response = await fetch(scoped(editor.dataset.edit + path), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", ...csrfHeaders() },
      body: JSON.stringify(body),
    });
    let answer = null;
    try { answer = await response.json(); } catch { /* not JSON */ }
    if (!response.ok) {
      let detail = (answer && answer.detail) || response.statusText;
      if (Array.isArray(detail)) detail = detail.map((d) => `${d.loc.slice(1).join(".")}: ${d.msg}`).join("; ");
      throw new Error(detail);
    }
    return answer;
  }

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text;
    if (cls) td.className = cls;
  }

  function show(section, plan) {
    box.querySelector("[data-plan-section]").textContent = section;
    box.querySelector("[data-plan-summary]").textContent = plan.summary;
    box.dataset.restart = plan.restart;
    const body = box.querySelector("tbody");
    body.replaceChildren();
    for (const change of plan.changes) {
      const row = body.insertRow();
      cell(row, change.field, "mono");
      cell(row, change.old, "mono");
      cell(row, change.new, "mono");
      cell(row, change.restart === "all" ? "restart" : change.restart === "placement" ? "restart where they no longer fit" : "keep running");
    }
    box.querySelector("[data-plan-apply]").disabled = plan.changes.length === 0;
    boxError.hidden = true;
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
  }

  for (const form of editor.querySelectorAll("form.spec-form")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = form.querySelector(".form-error");
      error.hidden = true;
      const section = form.dataset.section;
      const edit = { ...edits, [section]: values(form) };
      try {
        const plan = await post("/plan", edit);
        edits = edit;
        show(Object.keys(edits).join(", "), plan);
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
        box.hidden = true;
      }
    });
  }
  box.querySelector("[data-plan-cancel]").addEventListener("click", () => { box.hidden = true; edits = {}; });
  box.querySelector("[data-plan-apply]").addEventListener("click", async (event) => {
    event.target.disabled = true;
    try {
      // applied at the version the forms show: a change made since is refused (409)
      await post("/edit", { ...edits, version: Number(editor.dataset.version) });
      sessionStorage.setItem("swarmdeck-notice", "The service's spec was updated.");
      location.reload();
    } catch (e) {
      boxError.textContent = e.message;
      boxError.hidden = false;
      event.target.disabled = false;
    }
  });
})();
