/* The leader dashboard: draws the embedded figures with ECharts, then refreshes them every
   N seconds from /dashboard/data without reloading the page. No build step, no CDN. */
(function () {
  "use strict";
  var script = document.currentScript;
  var refreshSeconds = parseInt(script.getAttribute("data-refresh-seconds"), 10) || 60;
  var days = parseInt(script.getAttribute("data-days"), 10) || 30;
  var RATES = {
    response_rate: "响应率",
    resolution_rate: "解决率",
    satisfaction_rate: "满意率",
    on_time_rate: "按时办结率"
  };
  var KIND_LABELS = { town: "镇街", department: "部门", village: "村居", office: "科室", self: "本级" };
  var TEXT = "#bcd6ff", AXIS = "#24508f", PALETTE = ["#2f8cff", "#5ee1ff", "#ffb547", "#7ee787", "#c297ff", "#ff7b9c", "#ffd866", "#6fe3c2"];
  var charts = {};
  var currentRate = "response_rate";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);

  function chart(id) {
    if (!charts[id]) {
      charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    }
    return charts[id];
  }

  // ECharts renders a tooltip formatter's string as HTML: every server text in it is encoded.
  function esc(text) { return echarts.format.encodeHTML(text === null || text === undefined ? "" : String(text)); }

  // An axis names every bar (interval 0). A name longer than LABEL_CHARS keeps its head and its
  // tail around "…" (units of one town differ at the end: 城管执法一中队, 城管执法二中队); the
  // bar's tooltip gives it in full.
  var LABEL_CHARS = 10, LABEL_HEAD = 4, BAR_ROW = 24;
  function shortName(name) {
    var chars = Array.from(name === null || name === undefined ? "" : String(name));
    if (chars.length <= LABEL_CHARS) { return chars.join(""); }
    return chars.slice(0, LABEL_HEAD).join("") + "…" + chars.slice(LABEL_HEAD + 1 - LABEL_CHARS).join("");
  }
  function namedAxis(names, extra) {
    var a = axis("category", { data: names, axisLabel: { color: TEXT, interval: 0, formatter: shortName } });
    for (var k in extra) { a[k] = extra[k]; }
    return a;
  }
  // A horizontal bar chart grows with its bars so that every name has a row of its own.
  function fitRows(id, rows, minHeight) {
    var el = document.getElementById(id);
    var height = Math.max(minHeight, rows * BAR_ROW + 40);
    if (el.clientHeight !== height) {
      el.style.height = height + "px";
      if (charts[id]) { charts[id].resize(); }
    }
  }

  function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }

  function base(extra) {
    var option = {
      color: PALETTE,
      textStyle: { color: TEXT, fontFamily: "inherit" },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
      animationDuration: 400
    };
    for (var k in extra) { option[k] = extra[k]; }
    return option;
  }

  function axis(type, extra) {
    var a = { type: type, axisLine: { lineStyle: { color: AXIS } }, axisLabel: { color: TEXT }, splitLine: { lineStyle: { color: "#102e58" } } };
    for (var k in extra) { a[k] = extra[k]; }
    return a;
  }

  function drawVolume() {
    var channels = data.volume.by_channel.filter(function (c) { return c.week > 0; });
    chart("chart-channel").setOption(base({
      tooltip: { trigger: "item", formatter: function (p) { return esc(p.name) + "：" + esc(p.value) + " 件（" + esc(p.percent) + "%）"; } },
      legend: { type: "scroll", bottom: 0, textStyle: { color: TEXT } },
      series: [{ type: "pie", radius: ["38%", "66%"], center: ["50%", "44%"], label: { color: TEXT, formatter: "{b}\n{c}" },
        data: channels.map(function (c) { return { name: c.name, value: c.week }; }) }]
    }), true);

    var cats = data.volume.by_category.slice(0, 10).reverse();
    chart("chart-category").setOption(base({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: function (ps) {
        var c = cats[ps[0].dataIndex];
        return esc(c.name) + "：" + esc(c.week) + " 件";
      } },
      xAxis: axis("value", { minInterval: 1 }),
      yAxis: namedAxis(cats.map(function (c) { return c.name; })),
      series: [{ type: "bar", name: "本周", data: cats.map(function (c) { return c.week; }), itemStyle: { color: "#2f8cff" }, label: { show: true, position: "right", color: TEXT } }]
    }), true);

    var units = data.volume.by_unit.slice(0, 12);
    chart("chart-unit").setOption(base({
      legend: { top: 0, right: 0, textStyle: { color: TEXT } },
      xAxis: axis("category", { data: units.map(function (u) { return u.name; }), axisLabel: { color: TEXT, interval: 0, rotate: 30 } }),
      yAxis: axis("value", { minInterval: 1 }),
      series: [
        { type: "bar", name: "本周", data: units.map(function (u) { return u.week; }), itemStyle: { color: "#2f8cff" } },
        { type: "bar", name: "今日", data: units.map(function (u) { return u.today; }), itemStyle: { color: "#5ee1ff" } }
      ]
    }), true);
  }

  function ranked(rate) {
    return data.rates.units.slice().sort(function (a, b) {
      var x = a[rate], y = b[rate];
      if (x === null && y === null) { return a.name.localeCompare(b.name, "zh"); }
      if (x === null) { return 1; }
      if (y === null) { return -1; }
      return y - x || a.name.localeCompare(b.name, "zh");
    });
  }

  function drawRanking() {
    var units = ranked(currentRate).filter(function (u) { return u[currentRate] !== null; }).reverse();
    fitRows("chart-ranking", units.length, 300);
    var empty = units.length ? { text: "" } : {
      text: "统计期内暂无可计算" + RATES[currentRate] + "的工单", left: "center", top: "middle",
      textStyle: { color: "#6f8fbf", fontSize: 14, fontWeight: "normal" }
    };
    chart("chart-ranking").setOption(base({
      title: empty,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: function (ps) {
        var u = units[ps[0].dataIndex];
        return esc(u.name) + "（" + esc(KIND_LABELS[u.kind] || u.kind) + "）<br>" + Object.keys(RATES).map(function (k) {
          return RATES[k] + "：" + pct(u[k]);
        }).join("<br>") + "<br>积压 " + esc(u.open) + " 件，超时 " + esc(u.overdue) + " 件";
      } },
      grid: { left: 8, right: 48, top: 16, bottom: 8, containLabel: true },
      xAxis: axis("value", { min: 0, max: 100, axisLabel: { color: TEXT, formatter: "{value}%" } }),
      yAxis: namedAxis(units.map(function (u) { return u.name; })),
      series: [{ type: "bar", name: RATES[currentRate], barMaxWidth: 18,
        data: units.map(function (u) {
          var v = Math.round(u[currentRate] * 1000) / 10;
          return { value: v, itemStyle: { color: u.kind === "department" ? "#c297ff" : (v < 80 ? "#ff6b6b" : "#2f8cff") } };
        }),
        label: { show: true, position: "right", color: TEXT, formatter: "{c}%" } }]
    }), true);

    var body = document.getElementById("rank-body");
    body.textContent = "";
    ranked(currentRate).forEach(function (u, i) {
      var tr = document.createElement("tr");
      var cells = [String(i + 1), u.name].concat(Object.keys(RATES).map(function (k) { return pct(u[k]); }), [String(u.open), String(u.overdue)]);
      cells.forEach(function (text) { var td = document.createElement("td"); td.textContent = text; tr.appendChild(td); });
      body.appendChild(tr);
    });
  }

  function drawTrend() {
    chart("chart-trend").setOption(base({
      legend: { top: 0, right: 0, textStyle: { color: TEXT } },
      xAxis: axis("category", { boundaryGap: false, data: data.trend.map(function (t) { return t.day.slice(5); }) }),
      yAxis: axis("value", { minInterval: 1 }),
      series: [
        { type: "line", name: "新增", smooth: true, data: data.trend.map(function (t) { return t.new; }), areaStyle: { opacity: 0.15 } },
        { type: "line", name: "归档", smooth: true, data: data.trend.map(function (t) { return t.closed; }), areaStyle: { opacity: 0.15 } }
      ]
    }), true);
  }

  function drawBacklog() {
    var rows = data.backlog.by_status;
    chart("chart-backlog").setOption(base({
      xAxis: axis("value", { minInterval: 1 }),
      yAxis: axis("category", { data: rows.map(function (s) { return s.label; }) }),
      series: [{ type: "bar", name: "积压", data: rows.map(function (s) { return s.count; }), itemStyle: { color: "#ffb547" },
        label: { show: true, position: "right", color: TEXT } }]
    }), true);
  }

  function drawFigures() {
    var kpis = document.querySelectorAll("[data-kpi]");
    Array.prototype.forEach.call(kpis, function (el) {
      var key = el.getAttribute("data-kpi");
      el.textContent = key in RATES ? pct(data.rates.overall[key]) : String(data.totals[key]);
    });
    document.getElementById("generated-at").textContent = data.generated_at.slice(0, 19).replace("T", " ");
    var rising = document.getElementById("rising-body");
    rising.textContent = "";
    if (!data.rising.length) {
      var emptyRow = document.createElement("tr"), emptyCell = document.createElement("td");
      emptyCell.colSpan = 4;
      emptyCell.textContent = "本周暂无上升的类别";
      emptyRow.appendChild(emptyCell);
      rising.appendChild(emptyRow);
    }
    data.rising.forEach(function (r) {
      var tr = document.createElement("tr");
      [r.name, r.this_week, r.last_week, "+" + r.increase].forEach(function (text, i) {
        var td = document.createElement("td"); td.textContent = String(text);
        if (i === 3) { td.className = "up"; }
        tr.appendChild(td);
      });
      rising.appendChild(tr);
    });
  }

  function drawAll() {
    drawFigures();
    drawVolume();
    drawRanking();
    drawTrend();
    drawBacklog();
    document.body.setAttribute("data-dashboard-ready", "true");
  }

  function refresh() {
    var state = document.getElementById("refresh-state");
    fetch("/dashboard/data?days=" + days, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 401 || r.redirected) { window.location.reload(); throw new Error("登录已过期"); }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (fresh) { data = fresh; state.textContent = ""; drawAll(); })
      .catch(function () { state.textContent = " 刷新失败，显示的是上次的数据"; });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".tabs button"), function (button) {
    button.addEventListener("click", function () {
      currentRate = button.getAttribute("data-rate");
      Array.prototype.forEach.call(document.querySelectorAll(".tabs button"), function (b) {
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
      drawRanking();
    });
  });
  window.addEventListener("resize", function () { for (var id in charts) { charts[id].resize(); } });
  drawAll();
  window.setInterval(refresh, refreshSeconds * 1000);
  window.zhiyunDashboard = { refresh: refresh };
})();
