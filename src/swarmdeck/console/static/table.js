// The lists' table (templates/_table.html): row selection and bulk actions. A bulk action asks
// first in a dialog that lists every object it will act on, then sends one request per object
// through the API route that acts on it alone (so its authorisation, CSRF check and audit
// entry are that route's), and says what was done and what failed. The selection survives a
// live refresh of the table. Uses app.js's scoped(), csrfHeaders(), segment() and NOTICE_KEY.
"use strict";

(function () {
  const selected = new Map();  // table id -> Map(object id -> name)

  function chosen(id) {
    if (!selected.has(id)) selected.set(id, new Map());
    return selected.get(id);
  }

  function refresh(id) {
    const bar = document.querySelector(`[data-bulk-for="${CSS.escape(id)}"]`);
    const table = document.getElementById(id);
    if (!bar || !table) return;
    const picked = chosen(id);
    const boxes = [...table.querySelectorAll("input[data-select]")];
    for (const [key] of picked) if (!boxes.some((b) => b.value === key)) picked.delete(key);  // gone meanwhile
    for (const box of boxes) box.checked = picked.has(box.value);
    const all = table.querySelector("input[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && boxes.every((b) => b.checked);
      all.indeterminate = !all.checked && boxes.some((b) => b.checked);
    }
    bar.querySelector(".bulk-count").textContent = `${picked.size} selected`;
    for (const button of bar.querySelectorAll("button[data-bulk-action]")) button.disabled = picked.size === 0;
  }

  document.addEventListener("change", (e) => {
    const box = e.target;
    if (!(box instanceof HTMLInputElement)) return;
    const table = box.closest("table[data-table]");
    if (!table) return;
    const picked = chosen(table.id);
    if (box.matches("[data-select-all]")) {
      for (const row of table.querySelectorAll("input[data-select]")) {
        if (box.checked) picked.set(row.value, row.dataset.name); else picked.delete(row.value);
      }
    } else if (box.matches("[data-select]")) {
      if (box.checked) picked.set(box.value, box.dataset.name); else picked.delete(box.value);
    }
    refresh(table.id);
  });

  // A live refresh replaces the table: tick again what was ticked (and drop what is gone).
  document.addEventListener("htmx:afterSettle", () => {
    for (const id of selected.keys()) refresh(id);
  });

  async function reason(response) {
    try { return (await response.json()).detail || response.statusText; } catch { return response.statusText; }
  }

  async function run(button, items) {
    const done = [];
    const failed = [];
    for (const [id, name] of items) {
      const url = scoped(button.dataset.url.replace("{id}", segment(id)));
      try {
        const response = await fetch(url, { method: button.dataset.method, credentials: "same-origin", headers: csrfHeaders() });
        if (response.ok) done.push(name); else failed.push(`${name} (${await reason(response)})`);
      } catch (err) {
        failed.push(`${name} (${err.message})`);
      }
    }
    const verb = button.dataset.bulkAction;
    const said = `${verb}: ${done.length} done${done.length ? ` (${done.join(", ")})` : ""}.`;
    return { said, failed: failed.length ? `${verb}: ${failed.length} failed: ${failed.join("; ")}.` : "" };
  }

  // What failed is said as an error (#flash) on the reloaded page, what was done as a notice.
  const FAILED_KEY = "swarmdeck-bulk-failed";
  document.addEventListener("DOMContentLoaded", () => {
    const failed = sessionStorage.getItem(FAILED_KEY);
    if (failed) { sessionStorage.removeItem(FAILED_KEY); flash(failed); }
  });

  document.addEventListener("click", (e) => {
    const button = e.target instanceof Element ? e.target.closest("button[data-bulk-action]") : null;
    if (!button) return;
    const bar = button.closest("[data-bulk-for]");
    const id = bar.dataset.bulkFor;
    const items = [...chosen(id)];
    if (!items.length) return;
    const dialog = document.querySelector(`dialog[data-bulk-confirm="${CSS.escape(id)}"]`);
    const verb = button.dataset.bulkAction;
    dialog.querySelector("h2").textContent = `${verb[0].toUpperCase()}${verb.slice(1)} these ${items.length} ${bar.dataset.noun}?`;
    const list = dialog.querySelector(".bulk-list");
    list.replaceChildren(...items.map(([, name]) => {
      const li = document.createElement("li");
      li.textContent = name;
      return li;
    }));
    const go = dialog.querySelector("[data-confirm-go]");
    go.textContent = `${verb} ${items.length}`;
    go.classList.toggle("danger", button.classList.contains("danger"));
    dialog.onclose = async () => {
      if (dialog.returnValue !== "go") return;
      for (const b of bar.querySelectorAll("button")) b.disabled = true;
      showNotice(`${verb}: working on ${items.length} ${bar.dataset.noun}…`);
      const { said, failed } = await run(button, items);
      sessionStorage.setItem(NOTICE_KEY, said);
      if (failed) sessionStorage.setItem(FAILED_KEY, failed);
      location.reload();
    };
    dialog.returnValue = "";
    dialog.showModal();
  });
})();
