// The Model Monitor view: reads api/monitors and api/history (relative to this page) and draws the status
// timeline, one uPlot chart per metric series and the details of the selected execution. Text from reports
// is only ever set as text, never as HTML.
"use strict";

(function () {
  const state = { monitors: [], history: null, selected: -1, charts: [] };
  const $ = (id) => document.getElementById(id);

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined) continue;
      if (name === "className") node.className = value;
      else if (name === "onclick") node.addEventListener("click", value);
      else node.setAttribute(name, value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function number(value) {
    return typeof value === "number" && Number.isFinite(value) ? value : null;
  }

  function shown(value) {
    if (value === null || value === undefined) return "";
    if (typeof value !== "number") return String(value);
    if (Number.isInteger(value)) return String(value);
    return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6 ? value.toPrecision(4) : value.toExponential(3);
  }

  function when(iso) {
    return iso ? iso.replace("T", " ").replace(/:00(\.0+)?(\+00:00|Z)$/, " UTC") : "?";
  }

  function safeLink(url, text) {
    return /^https?:\/\//i.test(url) || url.startsWith("../") ? element("a", { href: url, target: "_top" }, text) : text;
  }

  async function getJson(path) {
    const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${response.statusText}`);
    return response.json();
  }

  function say(text) {
    $("message").textContent = text;
    $("message").hidden = !text;
  }

  function readHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    return { monitor: params.get("monitor"), limit: params.get("limit"), execution: params.get("execution") };
  }

  function writeHash() {
    const params = new URLSearchParams({ monitor: $("monitor").value, limit: $("limit").value });
    const execution = state.history && state.history.executions[state.selected];
    if (execution) params.set("execution", execution.scheduled_time);
    history.replaceState(null, "", `#${params}`);
  }

  async function loadMonitors() {
    const data = await getJson("api/monitors");
    state.monitors = data.monitors;
    const wanted = readHash();
    if (wanted.limit) $("limit").value = wanted.limit;
    $("monitor").replaceChildren(
      ...state.monitors.map((m) => element("option", { value: m.monitor }, `${m.monitor} (${m.monitoring_type})`))
    );
    if (!state.monitors.length) {
      say(
        "No monitoring execution has recorded its metrics yet. The violation branch task records them " +
          "(XCom model_monitor_metrics) each time it decides on a completed or failed execution."
      );
      return;
    }
    const known = state.monitors.some((m) => m.monitor === wanted.monitor);
    $("monitor").value = known ? wanted.monitor : state.monitors[0].monitor;
    await loadHistory();
  }

  async function loadHistory() {
    const query = new URLSearchParams({ monitor: $("monitor").value, limit: $("limit").value });
    state.history = await getJson(`api/history?${query}`);
    const executions = state.history.executions;
    const violating = executions.filter((e) => e.status === "CompletedWithViolations").length;
    $("summary").textContent =
      `${state.history.monitoring_type} · ${executions.length} executions · ${violating} with violations`;
    say(executions.length ? "" : "This monitor has no recorded execution.");
    $("content").hidden = !executions.length;
    const wanted = executions.findIndex((e) => e.scheduled_time === readHash().execution);
    state.selected = wanted >= 0 ? wanted : executions.length - 1;
    writeHash();
    drawTimeline();
    drawCharts();
    drawExecution();
  }

  function drawTimeline() {
    const executions = state.history.executions;
    $("timeline").replaceChildren(
      ...executions.map((execution, index) =>
        element("button", {
          type: "button",
          role: "listitem",
          "data-index": index,
          "data-status": execution.status,
          className: index === state.selected ? "selected" : "",
          title: `${when(execution.scheduled_time)}: ${execution.status}` +
            (execution.violation_count ? ` (${execution.violation_count} violations)` : ""),
          "aria-label": `${when(execution.scheduled_time)} ${execution.status}`,
          onclick: () => select(index),
        })
      )
    );
    const first = executions[0];
    const last = executions[executions.length - 1];
    $("timeline-axis").replaceChildren(
      element("span", {}, first ? when(first.scheduled_time) : ""),
      element("span", {}, last ? when(last.scheduled_time) : "")
    );
  }

  function select(index) {
    state.selected = index;
    for (const cell of $("timeline").children) {
      cell.classList.toggle("selected", Number(cell.dataset.index) === index);
    }
    for (const chart of state.charts) chart.redraw(false, false);
    writeHash();
    drawExecution();
  }

  function bound(entry, index) {
    if (entry.comparison === "OutsideAllowedRange") {
      const low = number(entry.lows[index]);
      const high = number(entry.highs[index]);
      return low === null ? "" : `[${shown(low)}, ${shown(high)}] around the fair value`;
    }
    if (entry.thresholds[index] === null || entry.thresholds[index] === undefined) return "";
    const operator = entry.comparison === "GreaterThanThreshold" ? "violates above" : "violates below";
    return `${operator} ${shown(entry.thresholds[index])}`;
  }

  // A uPlot plugin: a vertical line at the selected execution.
  function selectionLine() {
    return {
      hooks: {
        draw: (u) => {
          const x = u.data[0][state.selected];
          if (x === undefined) return;
          const left = Math.round(u.valToPos(x, "x", true));
          const context = u.ctx;
          context.save();
          context.strokeStyle = "#1b1f24";
          context.setLineDash([2, 3]);
          context.beginPath();
          context.moveTo(left, u.bbox.top);
          context.lineTo(left, u.bbox.top + u.bbox.height);
          context.stroke();
          context.restore();
        },
      },
    };
  }

  function drawCharts() {
    for (const chart of state.charts) chart.destroy();
    state.charts = [];
    $("charts").replaceChildren();
    $("others").replaceChildren();
    const executions = state.history.executions;
    const times = executions.map((e) => Date.parse(e.scheduled_time) / 1000);
    const charted = state.history.series.filter((entry) => entry.values.some((v) => number(v) !== null));
    const unvalued = state.history.series.filter((entry) => !entry.values.some((v) => number(v) !== null));
    for (const entry of charted) {
      const values = entry.values.map(number);
      const marks = values.map((v, i) => (entry.violated[i] ? v : null));
      const series = [{}, { label: entry.metric, stroke: "#2563eb", width: 2, points: { show: true, size: 5 } }];
      const data = [times, values];
      const lines = [
        ["threshold", entry.thresholds],
        ["low", entry.lows],
        ["high", entry.highs],
        ["baseline", entry.comparison === "OutsideAllowedRange" ? [] : entry.baselines],
      ];
      for (const [label, column] of lines) {
        const points = executions.map((_, i) => number(column[i]));
        if (points.some((v) => v !== null)) {
          series.push({ label, stroke: label === "baseline" ? "#7c8794" : "#d1342f", dash: [6, 4], width: 1.5, points: { show: false } });
          data.push(points);
        }
      }
      series.push({ label: "violated", stroke: "#d1342f", paths: () => null, points: { show: true, size: 11, fill: "#d1342f", stroke: "#d1342f" } });
      data.push(marks);
      const violatedCount = entry.violated.filter(Boolean).length;
      const figure = element(
        "figure",
        {
          className: violatedCount ? "chart violated" : "chart",
          "data-series": entry.series,
          "data-points": values.filter((v) => v !== null).length,
          "data-violations": violatedCount,
        },
        element(
          "figcaption",
          {},
          entry.series,
          " ",
          element("span", { className: "muted" }, entry.comparison ? `(${entry.comparison})` : "(no constraint)")
        )
      );
      const constrained = entry.comparison || violatedCount;
      (constrained ? $("charts") : $("others")).append(figure);
      const width = Math.max(320, (figure.clientWidth || 380) - 14);
      const chart = new uPlot(
        {
          width,
          height: 170,
          series,
          plugins: [selectionLine()],
          scales: { x: { time: true } },
          tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1e3), "Etc/UTC"),
          legend: { show: true, live: false },
          cursor: { drag: { x: false, y: false } },
        },
        data,
        figure
      );
      chart.over.addEventListener("click", () => {
        const index = chart.cursor.idx;
        if (index !== null && index !== undefined) select(index);
      });
      figure.dataset.rendered = String(chart.data[1].filter((v) => v !== null).length);
      state.charts.push(chart);
    }
    $("others-section").hidden = !$("others").children.length;
    $("others-count").textContent = String($("others").children.length);
    drawUnvalued(unvalued);
  }

  function drawUnvalued(entries) {
    if (!entries.length) {
      $("checks").replaceChildren();
      return;
    }
    const rows = entries.map((entry) =>
      element(
        "tr",
        { className: entry.violated.some(Boolean) ? "violated" : "" },
        element("td", {}, entry.series),
        element("td", {}, entry.check_type || ""),
        element("td", { className: "number" }, entry.violated.filter(Boolean).length)
      )
    );
    $("checks").replaceChildren(
      element("h3", {}, "Checks without a measured value"),
      element(
        "table",
        {},
        element("thead", {}, element("tr", {}, element("th", {}, "series"), element("th", {}, "check"), element("th", {}, "violated in"))),
        element("tbody", {}, rows)
      )
    );
  }

  function drawExecution() {
    const execution = state.history.executions[state.selected];
    if (!execution) {
      $("execution").replaceChildren();
      return;
    }
    const index = state.selected;
    const facts = [
      ["Scheduled", when(execution.scheduled_time)],
      ["Status", element("span", { className: "status", "data-status": execution.status }, execution.status)],
      ["Violations", String(execution.violation_count)],
      ["Failure reason", execution.failure_reason],
      ["Recorded by", safeLink(execution.task.url, `${execution.task.dag_id} / ${execution.task.run_id} / ${execution.task.task_id}`)],
      ["Report", execution.report_uri ? element("code", {}, execution.report_uri) : "no report"],
      ["Files", execution.report_files.length ? element("ul", {}, execution.report_files.map((uri) => element("li", {}, element("code", {}, uri)))) : null],
      ["Links", Object.keys(execution.links).length ? element("ul", {}, Object.entries(execution.links).map(([label, url]) => element("li", {}, safeLink(url, label)))) : null],
    ].filter(([, value]) => value);
    const violations = execution.violations.map((v) =>
      element(
        "tr",
        {},
        element("td", {}, v.constraint_check_type || ""),
        element("td", {}, [v.feature_name, v.label, v.facet && `${v.facet}=${v.facet_value}`, v.metric_name].filter(Boolean).join(" · ")),
        element("td", {}, v.description || "")
      )
    );
    const metrics = state.history.series
      .filter((entry) => entry.values[index] !== null || entry.violated[index])
      .map((entry) =>
        element(
          "tr",
          { className: entry.violated[index] ? "violated" : "" },
          element("td", {}, entry.series),
          element("td", { className: "number", title: String(entry.values[index]) }, shown(entry.values[index])),
          element("td", {}, bound(entry, index)),
          element("td", {}, entry.violated[index] ? "violated" : "")
        )
      );
    $("execution").replaceChildren(
      element("h2", {}, `Execution of ${when(execution.scheduled_time)}`),
      element("dl", {}, facts.flatMap(([name, value]) => [element("dt", {}, name), element("dd", {}, value)])),
      element("h3", {}, `Violations (${execution.violations.length})`),
      violations.length
        ? element(
            "table",
            { id: "violations" },
            element("thead", {}, element("tr", {}, element("th", {}, "check"), element("th", {}, "subject"), element("th", {}, "description"))),
            element("tbody", {}, violations)
          )
        : element("p", { className: "muted" }, "None."),
      element("h3", {}, "Metrics of this execution"),
      element(
        "table",
        { id: "execution-metrics" },
        element("thead", {}, element("tr", {}, element("th", {}, "series"), element("th", {}, "value"), element("th", {}, "bound"), element("th", {}, ""))),
        element("tbody", {}, metrics)
      )
    );
  }

  function failed(error) {
    say(`The Model Monitor view could not load its data: ${error.message}`);
    document.body.dataset.state = "error";
  }

  $("monitor").addEventListener("change", () => loadHistory().catch(failed));
  $("limit").addEventListener("change", () => loadHistory().catch(failed));
  loadMonitors()
    .then(() => {
      document.body.dataset.state = "ready";
    })
    .catch(failed);
})();
