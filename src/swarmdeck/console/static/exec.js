// The exec page: an xterm.js terminal over the console's exec websocket. The first message
// carries the session's CSRF token, the command and the terminal's size; then keystrokes go
// out as binary frames, the terminal's output comes back as binary frames, and a resize of
// the terminal is sent as {"resize": [cols, rows]}.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("terminal");
  if (!box || typeof Terminal === "undefined") return;
  const form = document.getElementById("exec-form");
  const stop = document.getElementById("exec-close");
  const status = document.getElementById("exec-status");
  const term = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 2000 });
  const fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(box);
  fit.fit();
  const encoder = new TextEncoder();
  let socket = null;
  let said = false;  // the console told why the session ended

  const open = () => socket && socket.readyState === WebSocket.OPEN;
  const say = (text) => { status.textContent = text; };

  function connect(cmd) {
    if (socket) socket.close();
    term.reset();
    said = false;
    const url = new URL(box.dataset.socket, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    socket = ws;
    ws.binaryType = "arraybuffer";
    say("connecting…");
    ws.addEventListener("open", () => {
      ws.send(JSON.stringify({ csrf: document.body.dataset.csrf, cmd, cols: term.cols, rows: term.rows }));
      box.dataset.connected = "true";
      say(`connected: ${cmd} (${term.cols}×${term.rows})`);
      stop.disabled = false;
      term.focus();
    });
    ws.addEventListener("message", (event) => {
      if (typeof event.data !== "string") { term.write(new Uint8Array(event.data)); return; }
      const message = JSON.parse(event.data);
      if (message.error) { said = true; say(`refused: ${message.error}`); }
      else if ("exit" in message) { said = true; say(`the command ended (exit code ${message.exit})`); }
    });
    ws.addEventListener("close", (event) => {
      if (socket !== ws) return;
      delete box.dataset.connected;
      stop.disabled = true;
      if (!said) say(event.code === 1000 ? "disconnected" : `the console refused or closed the terminal (code ${event.code})`);
    });
  }

  term.onData((data) => { if (open()) socket.send(encoder.encode(data)); });
  term.onResize(({ cols, rows }) => { if (open()) socket.send(JSON.stringify({ resize: [cols, rows] })); });
  new ResizeObserver(() => fit.fit()).observe(box);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    connect(form.elements.cmd.value.trim() || "sh");
  });
  stop.addEventListener("click", () => { if (socket) socket.close(1000); });
});
