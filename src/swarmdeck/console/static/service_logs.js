// A service's logs on its page: search (done by the server: GET .../logs?search=), follow
// (server-sent events from .../logs/stream, searched the same way) and the download link
// kept on the same search.
"use strict";

(() => {
  function scopedUrl(url) {
    const scope = document.getElementById("endpoint-scope");
    const target = new URL(url, location.origin);
    if (scope && !target.searchParams.has("endpoint")) target.searchParams.set("endpoint", scope.dataset.endpoint);
    return target;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("service-log-controls");
    if (!form) return;
    const pre = document.getElementById("service-logs");
    const download = document.getElementById("service-log-download");
    let source = null;

    async function show(event) {
      if (event) event.preventDefault();
      if (source) { source.close(); source = null; }
      const search = form.elements.search.value;
      const link = new URL(download.href, location.origin);
      link.searchParams.set("search", search);
      download.href = link.pathname + link.search;
      const url = scopedUrl(form.dataset.logs);
      url.searchParams.set("tail", "200");
      url.searchParams.set("search", search);
      const answer = await fetch(url.pathname + url.search, { headers: { Accept: "application/json" } });
      if (!answer.ok) { pre.textContent = `Logs unavailable (${answer.status}).`; return; }
      const body = await answer.json();
      pre.textContent = body.lines.map((line) => `${line}\n`).join("");
      pre.dataset.search = search;
      if (form.elements.follow.checked) {
        const live = scopedUrl(`${form.dataset.logs}/stream`);
        live.searchParams.set("search", search);
        source = new EventSource(live.pathname + live.search);
        pre.dataset.following = "yes";
        source.onmessage = (msg) => {
          const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
          pre.append(JSON.parse(msg.data) + "\n");
          if (atBottom) pre.scrollTop = pre.scrollHeight;
        };
      } else {
        delete pre.dataset.following;
      }
    }

    form.addEventListener("submit", show);
    form.elements.follow.addEventListener("change", () => show());
  });
})();
