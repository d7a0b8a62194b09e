// The registry page's notifications section: make a notification token (shown once, with the
// config.yml snippet) and walk the catalog again. Uses the session's CSRF token and segment()
// from app.js (loaded first).
"use strict";
(function () {
  function headers() {
    const token = document.body.dataset.csrf;
    return token ? { "Content-Type": "application/json", "X-CSRF-Token": token } : { "Content-Type": "application/json" };
  }
  const make = document.getElementById("make-notify-token");
  if (make) {
    make.addEventListener("click", async function () {
      const answer = await fetch(`/api/registries/${segment(make.dataset.registry)}/notifications/token`, {
        method: "POST", headers: headers(), body: "{}", credentials: "same-origin",
      });
      const out = document.getElementById("notify-snippet");
      const body = await answer.json();
      out.textContent = answer.ok ? body.snippet : "Not made: " + body.detail;
      out.hidden = false;
    });
  }
  const rebuild = document.getElementById("rebuild-index");
  if (rebuild) {
    rebuild.addEventListener("click", async function () {
      rebuild.disabled = true;
      rebuild.textContent = "Walking the catalog…";
      await fetch(`/api/registries/${segment(rebuild.dataset.registry)}/repositories?per_page=1&refresh=true`, { credentials: "same-origin" });
      window.location.reload();
    });
  }
})();
