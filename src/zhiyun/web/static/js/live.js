// The workbench refreshes itself: every data-live-interval seconds (30; read at every tick, at
// least 1) it asks /workbench/live for the queue counts and the marks of 待分拨/待签收 (one query),
// writes the counts into the tabs, announces a new order (a polite live region, a toast and a
// sound the user may switch off), then reloads the list in place through htmx.
// Paused while the tab is hidden, while the user types in a field (a key within the last
// 10 seconds, or anything in the list's own fields), while rows are ticked or text in the list
// is selected, and while htmx is busy; the refresh runs as soon as the pause ends.
// No inline script anywhere (the Content-Security-Policy runs only files like this one).
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) return;
  var SOUND_KEY = "zhiyun.notice.sound";
  var TYPING_MS = 10000;
  var MAX_TOASTS = 3;
  var state = document.getElementById("live-state");
  var announcer = document.getElementById("live-announce");
  var toasts = document.getElementById("live-toasts");
  var soundBox = document.getElementById("live-sound");
  var lastRun = Date.now();
  var lastKey = 0;
  var busy = false;
  var marks = null; // queue key -> the last arrival mark seen
  var shownReason = null;

  function seconds() {
    var value = parseFloat(root.getAttribute("data-live-interval"));
    return value >= 1 ? value : 30;
  }

  // -- the sound switch, kept in localStorage ------------------------------------------------
  function soundOn() {
    try {
      return window.localStorage.getItem(SOUND_KEY) !== "off";
    } catch (e) {
      return true;
    }
  }
  if (soundBox) {
    soundBox.checked = soundOn();
    soundBox.addEventListener("change", function () {
      try {
        window.localStorage.setItem(SOUND_KEY, soundBox.checked ? "on" : "off");
      } catch (e) { /* private mode: the switch holds for this page only */ }
    });
  }
  function chime() {
    if (soundBox ? !soundBox.checked : !soundOn()) return;
    root.setAttribute("data-chimes", String(parseInt(root.getAttribute("data-chimes") || "0", 10) + 1));
    try {
      var audio = new Audio(root.getAttribute("data-sound"));
      var played = audio.play();
      if (played && played.catch) played.catch(function () { /* autoplay refused: the toast shows */ });
    } catch (e) { /* no audio here */ }
  }

  // -- when to hold back ---------------------------------------------------------------------
  function isField(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    return !/^(checkbox|radio|button|submit|reset|hidden|image|file)$/i.test(el.type || "");
  }
  document.addEventListener("keydown", function (event) {
    if (isField(event.target)) lastKey = Date.now();
  }, true);
  document.addEventListener("input", function (event) {
    if (isField(event.target)) lastKey = Date.now();
  }, true);

  function pauseReason() {
    if (document.hidden) return "页面不在前台";
    var active = document.activeElement;
    var results = document.getElementById("results");
    if (results) {
      if (results.querySelector('input[type="checkbox"][name="ids"]:checked')) return "已勾选工单";
      if (active && active !== document.body && results.contains(active) && isField(active)) return "正在输入";
      var fields = results.querySelectorAll('#bulk input:not([type="hidden"]):not([type="checkbox"]), #bulk textarea');
      for (var i = 0; i < fields.length; i++) {
        if (fields[i].value) return "有未提交的批量操作";
      }
      var selection = window.getSelection ? window.getSelection() : null;
      if (selection && !selection.isCollapsed && results.contains(selection.anchorNode)) return "正在选择";
    }
    if (isField(active) && Date.now() - lastKey < TYPING_MS) return "正在输入";
    if (document.querySelector(".htmx-request")) return "正在加载";
    return "";
  }

  function showState(text, paused) {
    if (!state) return;
    state.textContent = text;
    root.setAttribute("data-state", paused ? "paused" : "running");
  }

  // -- what the poll brings --------------------------------------------------------------------
  function writeCounts(counts) {
    counts.forEach(function (c) {
      var tab = document.querySelector('#queues .queue[data-queue="' + c.key + '"] .queue-count');
      if (!tab) return;
      tab.textContent = String(c.count) + (c.more ? "+" : "");
      tab.classList.toggle("red", c.key === "overdue" && c.count > 0);
      tab.classList.toggle("yellow", c.key === "warning" && c.count > 0);
    });
  }

  function arrivedIn(before, now) {
    if (!before || before.more || now.more) return 0;
    if (now.count > before.count) return now.count - before.count;
    if (now.top > before.top) return 1;
    if (now.count === before.count && now.total !== before.total) return 1;
    return 0;
  }

  function notice(arrival, count) {
    var text = "「" + arrival.label + "」新到 " + count + " 件工单";
    if (announcer) {
      announcer.textContent = "";
      window.setTimeout(function () { announcer.textContent = text; }, 50);
    }
    if (toasts) {
      var toast = document.createElement("div");
      toast.className = "toast";
      toast.setAttribute("data-queue", arrival.key);
      var words = document.createElement("span");
      words.textContent = text;
      var link = document.createElement("a");
      link.href = "/workbench?queue=" + encodeURIComponent(arrival.key);
      link.textContent = "查看";
      var close = document.createElement("button");
      close.type = "button";
      close.className = "link";
      close.textContent = "关闭";
      close.setAttribute("aria-label", "关闭提示：" + text);
      close.addEventListener("click", function () { toast.remove(); });
      toast.appendChild(words);
      toast.appendChild(link);
      toast.appendChild(close);
      toasts.appendChild(toast);
      while (toasts.children.length > MAX_TOASTS) toasts.removeChild(toasts.firstChild);
    }
  }

  function readMarks(arrivals) {
    var fresh = {};
    var news = [];
    arrivals.forEach(function (a) {
      fresh[a.key] = a;
      if (marks) {
        var n = arrivedIn(marks[a.key], a);
        if (n > 0) news.push([a, n]);
      }
    });
    marks = fresh;
    news.forEach(function (pair) { notice(pair[0], pair[1]); });
    if (news.length) chime();
  }

  function listQuery() {
    var params = new URLSearchParams(window.location.search);
    params.delete("cursor");
    return params;
  }

  function poll(withCounts) {
    var params = listQuery();
    if (!withCounts) params.set("counts", "0");
    return fetch(root.getAttribute("data-live-url") + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (!response.ok || type.indexOf("application/json") !== 0) throw new Error("live " + response.status);
      return response.json();
    }).then(function (data) {
      if (withCounts) writeCounts(data.counts || []);
      readMarks(data.arrivals || []);
    });
  }

  function reloadList() {
    var results = document.getElementById("results");
    if (!results || !window.htmx) return Promise.resolve();
    return window.htmx.ajax("GET", "/workbench" + window.location.search, { target: "#results", swap: "innerHTML" });
  }

  function clock() {
    var d = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }

  function run() {
    busy = true;
    showState("正在刷新…", false);
    poll(true)
      .then(reloadList)
      .then(function () {
        root.setAttribute("data-refreshed", String(parseInt(root.getAttribute("data-refreshed") || "0", 10) + 1));
        showState("每 " + seconds() + " 秒自动刷新 · 最近 " + clock(), false);
      })
      .catch(function () {
        showState("自动刷新失败，稍后重试", false);
      })
      .then(function () {
        busy = false;
        shownReason = null;
        lastRun = Date.now();
      });
  }

  function tick() {
    if (busy || Date.now() - lastRun < seconds() * 1000) return;
    var reason = pauseReason();
    if (reason) {
      if (reason !== shownReason) showState("自动刷新已暂停（" + reason + "）", true);
      shownReason = reason;
      return;
    }
    run();
  }

  // the first look: the marks alone (the page has its counts), so that the next poll can tell
  // what arrived since the page was opened
  busy = true;
  poll(false)
    .catch(function () { marks = marks || {}; })
    .then(function () {
      busy = false;
      lastRun = Date.now();
      root.setAttribute("data-ready", "true");
    });
  window.setInterval(tick, 1000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) tick();
  });
})();
