// The page frame's behaviour: the colour scheme (the system's unless the user chose one with the
// header's toggle; the choice is remembered in localStorage) and the phone-width menu button.
// Loaded in <head> without defer so the remembered scheme applies before the first paint.
(function () {
  "use strict";
  const KEY = "swarmdeck-theme";
  const root = document.documentElement;

  function stored() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function systemDark() {
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }
  function current() {
    const chosen = stored();
    return chosen === "dark" || chosen === "light" ? chosen : (systemDark() ? "dark" : "light");
  }
  function apply() {
    const chosen = stored();
    if (chosen === "dark" || chosen === "light") root.dataset.theme = chosen;
    else delete root.dataset.theme;
    const toggle = document.getElementById("theme-toggle");
    if (toggle) toggle.setAttribute("aria-pressed", String(current() === "dark"));
  }
  apply();

  document.addEventListener("DOMContentLoaded", function () {
    apply();
    const toggle = document.getElementById("theme-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        const next = current() === "dark" ? "light" : "dark";
        try { localStorage.setItem(KEY, next); } catch (e) { /* private mode: this page only */ }
        root.dataset.theme = next;
        apply();
      });
    }
    const button = document.getElementById("menu-toggle");
    const menu = document.getElementById("menu");
    if (!button || !menu) return;
    function setOpen(open) {
      button.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    }
    button.addEventListener("click", function () {
      const open = button.getAttribute("aria-expanded") !== "true";
      setOpen(open);
      if (open) {
        const first = menu.querySelector("a");
        if (first) first.focus();
      }
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && menu.classList.contains("open")) {
        setOpen(false);
        button.focus();
      }
    });
  });
})();

// Tables with a labels column hide it until asked: a button names its table by id.
document.addEventListener("click", function (e) {
  const button = e.target instanceof Element ? e.target.closest("button[data-show-labels]") : null;
  if (!button) return;
  const table = document.getElementById(button.dataset.showLabels);
  if (!table) return;
  const shown = table.classList.toggle("show-labels");
  button.setAttribute("aria-pressed", String(shown));
  button.textContent = shown ? "Hide labels" : "Show labels";
});
