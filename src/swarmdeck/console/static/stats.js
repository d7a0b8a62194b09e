// Live stats charts (uPlot) of a container or of a service's tasks: the element
// [data-stats] names the JSON API route of one sample (GET .../stats). A sample is asked for
// when the last one came (each takes the engine about a second); the last 60 are plotted.
// Network and block IO come as byte counters: plotted as rates between two samples.
"use strict";

(() => {
  const KEEP = 60;
  const PAUSE_MS = 1000;

  function scopedUrl(url) {
    const scope = document.getElementById("endpoint-scope");
    const target = new URL(url, location.origin);
    if (scope && !target.searchParams.has("endpoint")) target.searchParams.set("endpoint", scope.dataset.endpoint);
    return target.pathname + target.search;
  }

  function bytes(value) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = Math.abs(value), i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
    return `${(value < 0 ? -v : v).toFixed(v < 10 && i ? 1 : 0)} ${units[i]}`;
  }

  const CHARTS = [
    { key: "cpu", title: "CPU %", series: [["CPU %", "#d9534f"]], format: (v) => `${v.toFixed(1)} %` },
    { key: "memory", title: "Memory", series: [["used", "#337ab7"]], format: bytes },
    { key: "net", title: "Network (per second)", series: [["rx", "#5cb85c"], ["tx", "#f0ad4e"]], format: (v) => `${bytes(v)}/s` },
    { key: "block", title: "Block IO (per second)", series: [["read", "#5bc0de"], ["write", "#8e44ad"]], format: (v) => `${bytes(v)}/s` },
  ];

  function makeChart(box, spec, width) {
    const holder = document.createElement("div");
    holder.className = "stats-chart";
    holder.dataset.chart = spec.key;
    box.append(holder);
    const opts = {
      title: spec.title,
      width,
      height: 160,
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max, spec.key === "cpu" ? 1 : 1024)] } },
      axes: [{}, { values: (u, ticks) => ticks.map(spec.format), size: 80 }],
      series: [{}, ...spec.series.map(([label, stroke]) => ({ label, stroke, width: 2, value: (u, v) => (v == null ? "–" : spec.format(v)) }))],
    };
    const data = [[], ...spec.series.map(() => [])];
    return { plot: new uPlot(opts, data, holder), data };
  }

  function start(box) {
    const url = scopedUrl(box.dataset.stats);
    const note = box.querySelector("[data-stats-note]");
    const width = Math.max(280, Math.min(520, Math.floor((box.clientWidth || 1100) / 2) - 16));
    const charts = {};
    for (const spec of CHARTS) charts[spec.key] = makeChart(box, spec, width);
    box.statsCharts = charts;
    let previous = null;

    function push(key, t, values) {
      const chart = charts[key];
      chart.data[0].push(t);
      values.forEach((v, i) => chart.data[i + 1].push(v));
      if (chart.data[0].length > KEEP) chart.data.forEach((column) => column.shift());
      chart.plot.setData(chart.data);
    }

    function rate(now, before, key, dt) {
      return before && dt > 0 ? Math.max(0, (now[key] - before[key]) / dt) : null;
    }

    function plot(sample) {
      const t = Date.now() / 1000;
      if (sample.running === false) {
        note.textContent = `${sample.name} is not running: no figures.`;
        return;
      }
      const dt = previous ? t - previous.t : 0;
      push("cpu", t, [sample.cpu_percent]);
      push("memory", t, [sample.memory_usage]);
      push("net", t, [rate(sample, previous, "net_rx", dt), rate(sample, previous, "net_tx", dt)]);
      push("block", t, [rate(sample, previous, "block_read", dt), rate(sample, previous, "block_write", dt)]);
      previous = { ...sample, t };
      box.dataset.samples = String(charts.cpu.data[0].length);
      box.dataset.lastCpu = String(sample.cpu_percent);
      let text = `CPU ${sample.cpu_percent.toFixed(1)} % · memory ${bytes(sample.memory_usage)}`;
      if (sample.memory_limit) text += ` of ${bytes(sample.memory_limit)}`;
      text += ` · ${sample.pids} processes`;
      if (sample.sampled !== undefined) {
        text = `${sample.sampled} container(s) on ${sample.node || "this node"}: ${text}`;
        const away = sample.elsewhere || [];
        if (away.length) {
          const where = [...new Set(away.map((task) => task.node))].join(", ");
          text += ` · ${away.length} running task(s) on other nodes (${where}): their stats are not reachable from this endpoint, not counted`;
        }
      }
      note.textContent = text;
    }

    async function tick() {
      if (!box.isConnected) return;
      try {
        const answer = await fetch(url, { headers: { Accept: "application/json" } });
        if (answer.ok) plot(await answer.json());
        else note.textContent = `Stats unavailable (${answer.status}).`;
      } catch (error) {
        note.textContent = "Stats unavailable: the console did not answer.";
      }
      setTimeout(tick, PAUSE_MS);
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const box of document.querySelectorAll("[data-stats]")) start(box);
  });
})();
