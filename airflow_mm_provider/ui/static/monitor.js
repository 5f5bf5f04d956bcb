// The Model Monitor view: reads api/monitors and api/history (relative to this page) and draws the status
// timeline, one uPlot chart per metric series and the details of the selected execution. Text from reports
// is only ever set as text, never as HTML.
"use strict";

(function () {
  const state = { monitors: [], history: null, selected: -1, charts: [] };
  const $ = (id) => document.getElementById(id);
  const RED = "#d1342f";
  const GREY = "#7c8794";
  const HOUR = 3600;
  // Where a chart draws a value its y scale cannot hold: infinities at the plot's top or bottom edge, anything
  // else (NaN, or a violated check that recorded no value) at mid-height as a hollow diamond.
  const EDGES = new Map([
    ["Infinity", { edge: "top", symbol: "\u25b2", text: "+\u221e" }],
    ["-Infinity", { edge: "bottom", symbol: "\u25bc", text: "\u2212\u221e" }],
  ]);
  const LEGEND_ITEMS = 4; // unplaced markers listed under a chart; the rest are counted

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

  // The executions of a series that its chart cannot place on the y scale but shows: a recorded value that is
  // not a finite number, or a violated check that recorded none.
  function unplaced(entry) {
    return entry.values.flatMap((value, index) => {
      if (number(value) !== null || (value === null && !entry.violated[index])) return [];
      const label = value === null ? "no value" : String(value);
      const place = EDGES.get(label) || { edge: "middle", symbol: "\u25c7", text: label };
      return [{ index, label, violated: Boolean(entry.violated[index]), ...place }];
    });
  }

  // A uPlot plugin: the unplaced executions' markers, red when violated, each with its text beside it.
  function unplacedMarks(marks) {
    return {
      hooks: {
        draw: (u) => {
          const ratio = uPlot.pxRatio;
          const size = 6 * ratio;
          const { left, top, width, height } = u.bbox;
          const context = u.ctx;
          context.save();
          context.font = `600 ${12 * ratio}px system-ui, sans-serif`;
          context.textBaseline = "middle";
          for (const mark of marks) {
            const x = u.valToPos(u.data[0][mark.index], "x", true);
            const y = { top: top + size, bottom: top + height - size, middle: top + height / 2 }[mark.edge];
            const tip = mark.edge === "bottom" ? size : -size;
            const color = mark.violated ? RED : GREY;
            context.fillStyle = color;
            context.strokeStyle = color;
            context.lineWidth = 2 * ratio;
            context.beginPath();
            if (mark.edge === "middle") {
              context.moveTo(x, y - size);
              context.lineTo(x + size, y);
              context.lineTo(x, y + size);
              context.lineTo(x - size, y);
              context.closePath();
              context.stroke();
            } else {
              context.moveTo(x, y + tip);
              context.lineTo(x + size, y - tip);
              context.lineTo(x - size, y - tip);
              context.closePath();
              context.fill();
            }
            const rightwards = x < left + width / 2;
            const textX = x + (rightwards ? 1.6 : -1.6) * size;
            context.textAlign = rightwards ? "left" : "right";
            context.strokeStyle = "#fff";
            context.lineWidth = 4 * ratio;
            context.strokeText(mark.text, textX, y);
            context.fillText(mark.text, textX, y);
          }
          context.restore();
        },
      },
    };
  }

  // A uPlot plugin for a chart of one execution: its bounds as lines across the plot (a line needs two points).
  function lonePointBounds(bounds) {
    return {
      hooks: {
        draw: (u) => {
          const ratio = uPlot.pxRatio;
          const context = u.ctx;
          context.save();
          context.lineWidth = 1.5 * ratio;
          context.setLineDash([6 * ratio, 4 * ratio]);
          for (const { index, stroke } of bounds) {
            const value = u.data[index][0];
            if (value === null) continue;
            const y = Math.round(u.valToPos(value, "y", true));
            context.strokeStyle = stroke;
            context.beginPath();
            context.moveTo(u.bbox.left, y);
            context.lineTo(u.bbox.left + u.bbox.width, y);
            context.stroke();
          }
          context.restore();
        },
      },
    };
  }

  // What a chart says of one execution: its time, recorded value, verdict and bound.
  function describe(entry, index) {
    const value = entry.values[index];
    const execution = state.history.executions[index];
    return [
      `${when(execution.scheduled_time)}: ${value === null ? "not recorded" : shown(value)}`,
      entry.violated[index] ? "violated" : "",
      bound(entry, index),
    ]
      .filter(Boolean)
      .join(" \u00b7 ");
  }

  // A uPlot plugin: the hovered execution, described in the plot's tooltip.
  function tooltip(entry) {
    return {
      hooks: {
        setCursor: (u) => {
          const index = u.cursor.idx;
          u.over.title = index === null || index === undefined ? "" : describe(entry, index);
        },
      },
    };
  }

  // The legend of the unplaced markers, newest first: symbol, recorded value and time of each.
  function unplacedLegend(entry, marks) {
    if (!marks.length) return null;
    const newest = marks.slice().reverse();
    const items = newest.slice(0, LEGEND_ITEMS).map((mark) =>
      element(
        "span",
        { className: mark.violated ? "violated" : "", title: describe(entry, mark.index) },
        `${mark.symbol} ${mark.label} at ${when(state.history.executions[mark.index].scheduled_time)}` +
          (mark.violated ? " (violated)" : "")
      )
    );
    const more = newest.length - items.length;
    return element(
      "p",
      { className: "unplaced" },
      "Not on the scale: ",
      items.flatMap((item, i) => (i ? ["; ", item] : [item])),
      more > 0 ? `; ${more} more (hover the chart)` : null
    );
  }

  // The time axis: the executions' span, or an hour either side of a single one (uPlot would give it 1000 days).
  function timeRange(u, min, max) {
    const times = u.data[0];
    return times.length === 1 ? [times[0] - HOUR, times[0] + HOUR] : [min, max];
  }

  // A uPlot plugin: the seconds the time axis spans, in the figure's data-time-span.
  function timeSpan(figure) {
    return {
      hooks: {
        setScale: (u, key) => {
          if (key === "x") figure.dataset.timeSpan = String(u.scales.x.max - u.scales.x.min);
        },
      },
    };
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
      const bounds = [];
      for (const [label, column] of lines) {
        const points = executions.map((_, i) => number(column[i]));
        if (points.some((v) => v !== null)) {
          const stroke = label === "baseline" ? GREY : RED;
          bounds.push({ index: series.length, stroke });
          series.push({ label, stroke, dash: [6, 4], width: 1.5, points: { show: false } });
          data.push(points);
        }
      }
      series.push({ label: "violated", stroke: RED, paths: () => null, points: { show: true, size: 11, fill: RED, stroke: RED } });
      data.push(marks);
      const offScale = unplaced(entry);
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
      const plugins = [selectionLine(), unplacedMarks(offScale), tooltip(entry), timeSpan(figure)];
      if (executions.length === 1) plugins.push(lonePointBounds(bounds));
      const chart = new uPlot(
        {
          width,
          height: 170,
          series,
          plugins,
          scales: { x: { time: true, range: timeRange } },
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
      const legend = unplacedLegend(entry, offScale);
      if (legend) figure.append(legend);
      const drawn = (column) => column.filter((v) => v !== null).length;
      figure.dataset.rendered = String(drawn(chart.data[1]));
      figure.dataset.unplaced = String(offScale.length);
      figure.dataset.marked = String(drawn(chart.data[chart.data.length - 1]) + offScale.filter((m) => m.violated).length);
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
