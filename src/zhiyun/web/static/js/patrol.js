// The grid worker's patrol page (巡查, /grid/patrol): today's tasks on a list and a map, one
// object's merged checklist, photos, time and position, re-checks and a free report (随手报) —
// working offline.
//
// - Data: GET /api/v1/grid/patrol/today (the service worker /grid/patrol/sw.js answers from its
//   cache when there is no network, marking the answer with X-Patrol-Offline; the page keeps a
//   copy in IndexedDB too, for a browser without the service worker).
// - Submissions: each visit or free report is stored in IndexedDB (store "queue") with its
//   photos as Blobs and its own submission_id before anything is sent. Sync sends them in order
//   (at load, on the `online` event, with the 同步 button, every 30 s while some wait) as
//   multipart POST /api/v1/grid/patrol/visits; a retry sends the same id, so the server never
//   makes two. 2xx: gone from the queue (a receipt with a conflict stays under 冲突 until the
//   worker has read it); 422: kept as 需修改 with the problems, to be fixed and sent again;
//   401: kept, the worker is asked to sign in again; no network or 5xx: kept, tried later.
// - Verification tasks (核实): GET /api/v1/sensing/verifications/mine (the tab 核实 is hidden when
//   it answers 404 or 403: the sensing capability is not installed, or the user has no tasks to
//   see); each answer (属实 / 误报 / 已消失, a notice's 已到场) with its note and photo waits in
//   the same queue with its own submission_id and is sent as multipart POST
//   /api/v1/sensing/verifications/{id}/answer.
// - Every text from the server or the worker reaches the page as a text node (textContent),
//   never as HTML; there is no inline script (the Content-Security-Policy runs none).
(function () {
  "use strict";

  var root = document.getElementById("patrol");
  if (!root) return;

  var WORKER = Number(root.getAttribute("data-worker"));
  var TODAY_URL = root.getAttribute("data-today");
  var VISITS_URL = root.getAttribute("data-visits");
  var VERIFY_URL = root.getAttribute("data-verifications");
  var ANSWER_URL = root.getAttribute("data-verification-answer"); // + {id}/answer
  var VERIFY_PHOTOS_MAX = 6; // photos an answer may carry (the server's PHOTOS_MAX)
  var ANSWER_LABELS = { confirmed: "属实", false_alarm: "误报", gone: "已消失" };
  var DB_NAME = "zhiyun-patrol";
  var DATA_CACHE = "zhiyun-patrol-data"; // the service worker's cache of data (patrol-sw.js)
  var PHOTO_EDGE = 1600; // the longest side of a stored photo, in pixels
  var PHOTO_QUALITY = 0.85;
  var PHOTOS_MAX = 40; // photos a submission may carry (the server's PHOTOS_PER_VISIT)
  var SENT_KEPT = 30; // receipts kept under 已同步
  var RETRY_MS = 30000;
  var STATUS_COLOURS = { pending: "#1c7ed6", done_on_time: "#2b8a3e", done_late: "#e8590c", missed: "#c92a2a" };
  var STATUS_LABELS = { pending: "待巡查", done_on_time: "按时完成", done_late: "逾期完成", missed: "漏巡" };
  var LEVEL_LABELS = { general: "一般隐患", major: "重大隐患" };
  var LEVEL_RANK = { general: 0, major: 1 };

  var state = {
    today: null, // the last answer of `today`
    offline: false, // whether it came from a cache
    queue: [], // this worker's queued submissions, oldest first
    sent: [], // receipts of the last synced ones
    syncing: false,
    runs: 0, // syncs finished (for the browser tests)
    loginNeeded: false,
    form: null, // the open visit form: {task, record, photos: {key: [{id, blob, url}]}, position}
    report: null, // the open report form: {objectId, photos, position}
    map: null,
    mapLayer: null,
    verify: null, // the last answer of verifications/mine: {tasks}, or null when the page has none
    verifyOffline: false,
    answer: null // the open answer form: {task, photos, position}
  };

  // -- small helpers --------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "text") node.textContent = String(value);
        else if (name === "className") node.className = value;
        else node.setAttribute(name, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // an instant as the phone's local time with its offset: 2026-12-07T09:30:00+08:00
  function isoWithOffset(d) {
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    var abs = Math.abs(offset);
    return (
      d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60)
    );
  }

  function shownTime(iso) {
    var d = iso ? new Date(iso) : null;
    if (!d || isNaN(d.getTime())) return "";
    try {
      return d.toLocaleString("zh-CN", {
        timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false
      });
    } catch (e) {
      return d.toLocaleString();
    }
  }

  function newId(prefix) {
    if (window.crypto && crypto.randomUUID) return (prefix || "") + crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return (prefix || "") + hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function photoId() {
    return newId("p-").replace(/-/g, "").slice(0, 26).replace(/^p/, "p-"); // [A-Za-z0-9_-]{1,64}
  }

  function cookie(name) {
    var found = null;
    document.cookie.split(";").forEach(function (part) {
      var kv = part.trim().split("=");
      if (kv[0] === name) found = decodeURIComponent(kv.slice(1).join("="));
    });
    return found;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return cookie("zhiyun_csrf") || (meta ? meta.getAttribute("content") : "") || "";
  }

  function say(text, kind) {
    var box = document.getElementById("sync-message");
    clear(box);
    box.className = "sync-message small" + (kind ? " " + kind : "");
    if (text) box.appendChild(document.createTextNode(text));
  }

  function loginPrompt() {
    var box = document.getElementById("sync-message");
    clear(box);
    box.className = "sync-message small warn";
    box.appendChild(document.createTextNode("登录已过期，未提交的记录仍保存在手机上。请"));
    box.appendChild(el("a", { href: "/login?next=" + encodeURIComponent("/grid/patrol"), text: "重新登录" }));
    box.appendChild(document.createTextNode("后同步。"));
  }

  // -- IndexedDB: the queue, the receipts, the last `today` ------------------------------------

  var dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var open = indexedDB.open(DB_NAME, 1);
        open.onupgradeneeded = function () {
          var d = open.result;
          if (!d.objectStoreNames.contains("queue")) d.createObjectStore("queue", { keyPath: "submission_id" });
          if (!d.objectStoreNames.contains("sent")) d.createObjectStore("sent", { keyPath: "submission_id" });
          if (!d.objectStoreNames.contains("meta")) d.createObjectStore("meta", { keyPath: "key" });
        };
        open.onsuccess = function () { resolve(open.result); };
        open.onerror = function () { reject(open.error); };
      });
    }
    return dbPromise;
  }

  function tx(storeName, mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(storeName, mode);
        var store = t.objectStore(storeName);
        var result;
        var req = work(store);
        if (req) req.onsuccess = function () { result = req.result; };
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error || new Error("aborted")); };
      });
    });
  }

  function allOf(storeName) {
    return tx(storeName, "readonly", function (store) { return store.getAll(); }).then(function (rows) {
      return (rows || []).filter(function (r) { return r.worker_id === WORKER; });
    });
  }

  function put(storeName, value) {
    return tx(storeName, "readwrite", function (store) { return store.put(value); });
  }

  function remove(storeName, key) {
    return tx(storeName, "readwrite", function (store) { return store.delete(key); });
  }

  function loadQueue() {
    return Promise.all([allOf("queue"), allOf("sent")]).then(function (both) {
      state.queue = both[0].sort(function (a, b) { return a.seq - b.seq; });
      state.sent = both[1].sort(function (a, b) { return b.seq - a.seq; });
      showQueue();
    });
  }

  // -- the day's tasks ------------------------------------------------------------------------

  function loadToday() {
    root.setAttribute("data-state", "loading");
    return fetch(TODAY_URL, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) {
          state.loginNeeded = true;
          loginPrompt();
          return fromStore(true);
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        var offline = response.headers.get("X-Patrol-Offline") === "1";
        return response.json().then(function (data) {
          if (!data || !data.worker || data.worker.id !== WORKER) return fromStore(true);
          state.loginNeeded = false;
          if (!offline) put("meta", { key: "today:" + WORKER, worker_id: WORKER, data: data });
          showToday(data, offline);
        });
      })
      .catch(function () { return fromStore(true); });
  }

  function fromStore(offline) {
    return tx("meta", "readonly", function (store) { return store.get("today:" + WORKER); }).then(function (row) {
      if (row && row.data) showToday(row.data, offline);
      else {
        root.setAttribute("data-state", "empty");
        var note = document.getElementById("data-note");
        note.textContent = "离线且手机上没有今日任务的数据，请联网后刷新。";
        note.className = "data-note small warn";
      }
    });
  }

  function showToday(data, offline) {
    state.today = data;
    state.offline = offline;
    var note = document.getElementById("data-note");
    note.textContent = (offline ? "离线数据，更新于 " : "更新于 ") + shownTime(data.generated_at);
    note.className = "data-note small" + (offline ? " offline" : "");
    root.setAttribute("data-state", offline ? "offline" : "ready");
    showTasks();
    if (state.map) drawMap();
    route(); // a form opened from the address may now find its task
  }

  function sortedTasks() {
    var tasks = (state.today && state.today.tasks) || [];
    function rank(t) {
      if (t.status === "pending" && t.overdue) return 0;
      if (t.status === "pending") return 1;
      return 2;
    }
    return tasks
      .map(function (t, i) { return { t: t, i: i }; })
      .sort(function (a, b) { return rank(a.t) - rank(b.t) || a.i - b.i; })
      .map(function (x) { return x.t; });
  }

  function localStateOf(taskId) {
    var found = null;
    state.queue.forEach(function (r) {
      if (r.kind === "visit" && r.visit && r.visit.task_id === taskId) found = r.state;
    });
    return found;
  }

  function findTask(id) {
    var tasks = (state.today && state.today.tasks) || [];
    for (var i = 0; i < tasks.length; i++) if (tasks[i].id === id) return tasks[i];
    return null;
  }

  function taskBadge(task) {
    var local = localStateOf(task.id);
    if (local === "invalid") return el("span", { className: "badge st-invalid", text: "需修改" });
    if (local === "conflict") return el("span", { className: "badge st-conflict", text: "冲突" });
    if (local) return el("span", { className: "badge st-queued", text: "待同步" });
    return el("span", {
      className: "badge st-" + task.status,
      text: task.status_label || STATUS_LABELS[task.status] || task.status
    });
  }

  function showTasks() {
    var list = document.getElementById("task-list");
    clear(list);
    var tasks = sortedTasks();
    var pending = tasks.filter(function (t) { return t.status === "pending"; }).length;
    var overdue = tasks.filter(function (t) { return t.status === "pending" && t.overdue; }).length;
    document.getElementById("tasks-summary").textContent =
      "共 " + tasks.length + " 个任务，待巡查 " + pending + " 个" + (overdue ? "（逾期 " + overdue + " 个）" : "");
    if (!tasks.length) {
      list.appendChild(el("li", { className: "muted", text: "今日没有巡查任务" }));
      return;
    }
    tasks.forEach(function (task) {
      var o = task.object || {};
      var items = (task.items || []).map(function (i) { return i.name; });
      var card = el("a", { href: "#/task/" + task.id, className: "task-card st-" + task.status }, [
        el("span", { className: "task-head" }, [
          el("span", { className: "task-name", text: o.name || "" }),
          taskBadge(task),
          task.overdue && task.status === "pending" ? el("span", { className: "badge st-missed", text: "逾期" }) : null
        ]),
        el("span", { className: "task-meta small", text: (o.kind_label || "") + " · " + (o.address || "") }),
        el("span", {
          className: "task-items small",
          text: "检查 " + items.length + " 项：" + items.join("、")
        }),
        (task.rechecks || []).length
          ? el("span", { className: "task-rechecks small", text: "复查隐患 " + task.rechecks.length + " 处" })
          : null,
        el("span", { className: "task-window small muted", text: "时限 " + (task.earliest || "") + " 至 " + (task.latest || "") })
      ]);
      list.appendChild(el("li", { "data-task": task.id }, [card]));
    });
  }

  // -- the map --------------------------------------------------------------------------------

  function drawMap() {
    if (!window.L) return;
    var box = document.getElementById("patrol-map");
    if (!state.map) {
      state.map = L.map(box, { attributionControl: false, maxZoom: 19, preferCanvas: true });
      var tiles = root.getAttribute("data-tiles");
      if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(state.map);
      state.mapLayer = L.layerGroup().addTo(state.map);
      state.map.setView([23.03, 113.14], 12);
      var legend = document.getElementById("patrol-map-legend");
      Object.keys(STATUS_COLOURS).forEach(function (k) {
        var swatch = el("i");
        swatch.style.background = STATUS_COLOURS[k];
        legend.appendChild(el("span", { className: "legend-item" }, [swatch, STATUS_LABELS[k]]));
      });
      window.zhiyunPatrolMap = { map: state.map, layer: state.mapLayer }; // for the browser tests
    }
    state.map.invalidateSize();
    state.mapLayer.clearLayers();
    var points = [];
    sortedTasks().forEach(function (task) {
      var o = task.object || {};
      if (typeof o.lat !== "number" || typeof o.lon !== "number") return;
      points.push([o.lat, o.lon]);
      var marker = L.circleMarker([o.lat, o.lon], {
        radius: 9, weight: 2, color: task.overdue && task.status === "pending" ? "#c92a2a" : "#fff",
        fillColor: STATUS_COLOURS[task.status] || "#495057", fillOpacity: 0.9, className: "task-point"
      });
      marker.bindTooltip(el("span", { text: (o.name || "") + "（" + (task.status_label || "") + "）" }));
      marker.on("click", function () { location.hash = "#/task/" + task.id; });
      marker.addTo(state.mapLayer);
    });
    if (points.length) state.map.fitBounds(L.latLngBounds(points).pad(0.2), { maxZoom: 17 });
    box.setAttribute("data-points", String(points.length));
  }

  // -- hazard rules -----------------------------------------------------------------------------

  // A rule as the API gives it: {level, answers?, below?, above?, label}. Without the machine
  // fields the label is read the way the server writes it: "否", "<1", ">30", "已堵塞、损坏",
  // parts joined by " 或 ".
  function ruleOf(rule) {
    if (rule.answers || rule.below !== undefined || rule.above !== undefined) {
      return {
        level: rule.level, answers: rule.answers || [],
        below: typeof rule.below === "number" ? rule.below : null,
        above: typeof rule.above === "number" ? rule.above : null
      };
    }
    var parsed = { level: rule.level, answers: [], below: null, above: null };
    String(rule.label || "").split(" 或 ").forEach(function (part) {
      part = part.trim();
      if (!part) return;
      if (/^<-?[\d.]+$/.test(part)) parsed.below = parseFloat(part.slice(1));
      else if (/^>-?[\d.]+$/.test(part)) parsed.above = parseFloat(part.slice(1));
      else part.split("、").forEach(function (a) {
        parsed.answers.push(a === "是" ? "yes" : a === "否" ? "no" : a);
      });
    });
    return parsed;
  }

  function hazardLevel(question, value) {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return null;
    var best = null;
    (question.hazards || []).forEach(function (raw) {
      var r = ruleOf(raw);
      var hit = false;
      if (typeof value === "boolean") hit = r.answers.indexOf(value ? "yes" : "no") >= 0;
      else if (typeof value === "number") hit = (r.below !== null && value < r.below) || (r.above !== null && value > r.above);
      else if (typeof value === "string") hit = r.answers.indexOf(value) >= 0;
      else if (Array.isArray(value)) hit = value.some(function (v) { return r.answers.indexOf(v) >= 0; });
      if (hit && (best === null || LEVEL_RANK[r.level] > LEVEL_RANK[best])) best = r.level;
    });
    return best;
  }

  // -- photos -----------------------------------------------------------------------------------

  function downscale(file) {
    function draw(source, width, height) {
      var scale = Math.min(1, PHOTO_EDGE / Math.max(width, height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          if (blob) resolve(blob); else reject(new Error("toBlob"));
        }, "image/jpeg", PHOTO_QUALITY);
      });
    }
    if (window.createImageBitmap) {
      return createImageBitmap(file).then(function (bitmap) {
        return draw(bitmap, bitmap.width, bitmap.height).then(function (blob) {
          if (bitmap.close) bitmap.close();
          return blob;
        });
      });
    }
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        draw(img, img.naturalWidth, img.naturalHeight).then(resolve, reject);
        URL.revokeObjectURL(url);
      };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("image")); };
      img.src = url;
    });
  }

  // A photo picker: the input, its thumbnails and the list of photos it holds ({id, blob, url}).
  function photoPicker(input, thumbs, photos, onChange) {
    function redraw() {
      clear(thumbs);
      photos.forEach(function (p, index) {
        if (!p.url) p.url = URL.createObjectURL(p.blob);
        var drop = el("button", { type: "button", className: "thumb-drop", "aria-label": "删除这张照片", text: "×" });
        drop.addEventListener("click", function () {
          if (p.url) URL.revokeObjectURL(p.url);
          photos.splice(index, 1);
          redraw();
          if (onChange) onChange();
        });
        thumbs.appendChild(el("span", { className: "thumb-box", "data-photo": p.id }, [
          el("img", { src: p.url, alt: "照片 " + (index + 1), className: "thumb" }), drop
        ]));
      });
    }
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      input.value = "";
      if (!files.length) return;
      thumbs.setAttribute("data-busy", "1");
      var work = files.reduce(function (chain, file) {
        return chain.then(function () {
          return downscale(file).then(function (blob) {
            photos.push({ id: photoId(), blob: blob });
          }, function () {
            say("照片无法读取：" + (file.name || ""), "warn");
          });
        });
      }, Promise.resolve());
      work.then(function () {
        thumbs.removeAttribute("data-busy");
        redraw();
        if (onChange) onChange();
      });
    });
    redraw();
    return { redraw: redraw };
  }

  // -- position ---------------------------------------------------------------------------------

  function locate(holder, line) {
    holder.position = null;
    if (!line) line = { textContent: "" };
    if (!navigator.geolocation) {
      line.textContent = "本机不支持定位，将不带位置提交";
      return;
    }
    line.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        holder.position = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: pos.coords.accuracy };
        line.textContent = "已定位（精度约 " + Math.round(pos.coords.accuracy) + " 米）";
      },
      function (error) {
        line.textContent = error && error.code === 1 ? "未允许定位，将不带位置提交" : "未能定位，将不带位置提交";
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 120000 }
    );
  }

  // -- the visit form ---------------------------------------------------------------------------

  function answerKey(code, qid) {
    return code + "\u0000" + qid;
  }

  function questionValue(box, question) {
    var type = question.type;
    if (type === "yes_no") {
      var checked = box.querySelector("input[type=radio]:checked");
      return checked ? checked.value === "yes" : null;
    }
    if (type === "single_choice") {
      var one = box.querySelector("input[type=radio]:checked");
      return one ? one.value : null;
    }
    if (type === "multiple_choice") {
      var picked = Array.prototype.map.call(box.querySelectorAll("input[type=checkbox]:checked"), function (i) { return i.value; });
      return picked.length ? picked : null;
    }
    if (type === "number") {
      var raw = box.querySelector("input").value.trim();
      if (!raw) return null;
      var n = Number(raw);
      return isNaN(n) ? raw : n;
    }
    if (type === "text") {
      var t = box.querySelector("textarea").value.trim();
      return t || null;
    }
    return null; // a photo question's answer is its photos
  }

  function fmtNumber(n) {
    return String(n);
  }

  function questionProblems(question, value, photos) {
    var problems = [];
    var answered = value !== null || (question.type === "photo" && photos.length > 0);
    if (question.type === "number" && value !== null) {
      if (typeof value !== "number" || !isFinite(value)) return ["应填写数值"];
      if (question.minimum !== null && question.minimum !== undefined && value < question.minimum)
        return ["不能小于 " + fmtNumber(question.minimum) + (question.unit || "")];
      if (question.maximum !== null && question.maximum !== undefined && value > question.maximum)
        return ["不能大于 " + fmtNumber(question.maximum) + (question.unit || "")];
    }
    if (!answered) {
      if (question.required) problems.push(question.type === "photo" ? "请拍照" : "必须回答");
      return problems;
    }
    var level = hazardLevel(question, value);
    if (question.photo === "always" && !photos.length) problems.push("须拍照");
    else if (question.photo === "hazard" && level && !photos.length) problems.push("发现隐患，须拍照");
    return problems;
  }

  function renderQuestion(item, question, saved, form) {
    var key = answerKey(item.code, question.id);
    var name = "q-" + item.code + "-" + question.id;
    var box = el("div", {
      className: "question", "data-item": item.code, "data-question": question.id, "data-type": question.type
    });
    var labelId = "l-" + name;
    box.appendChild(el("div", { className: "q-text", id: labelId }, [
      question.text,
      question.required ? el("span", { className: "req", "aria-hidden": "true", text: " *" }) : null,
      question.unit && question.type === "number" ? el("span", { className: "muted small", text: "（" + question.unit + "）" }) : null
    ]));
    if (question.help) box.appendChild(el("div", { className: "q-help small muted", text: question.help }));
    var value = saved ? saved.value : null;
    var control = el("div", { className: "q-control", role: question.type === "number" || question.type === "text" ? null : "group", "aria-labelledby": labelId });
    function choice(type, inputValue, label, checked) {
      var input = el("input", { type: type, name: name, value: inputValue, checked: checked });
      return el("label", { className: "choice" }, [input, " " + label]);
    }
    if (question.type === "yes_no") {
      control.appendChild(choice("radio", "yes", "是", value === true));
      control.appendChild(choice("radio", "no", "否", value === false));
    } else if (question.type === "single_choice") {
      (question.options || []).forEach(function (o) { control.appendChild(choice("radio", o, o, value === o)); });
    } else if (question.type === "multiple_choice") {
      (question.options || []).forEach(function (o) {
        control.appendChild(choice("checkbox", o, o, Array.isArray(value) && value.indexOf(o) >= 0));
      });
    } else if (question.type === "number") {
      control.appendChild(el("input", {
        type: "number", inputmode: "decimal", step: "any", name: name, "aria-labelledby": labelId,
        min: question.minimum, max: question.maximum, value: value === null || value === undefined ? "" : String(value)
      }));
    } else if (question.type === "text") {
      var area = el("textarea", { name: name, rows: "2", maxlength: "2000", "aria-labelledby": labelId });
      area.value = value || "";
      control.appendChild(area);
    }
    box.appendChild(control);
    if ((question.hazards || []).length) {
      box.appendChild(el("div", {
        className: "q-rule small muted",
        text: "隐患：" + question.hazards.map(function (h) { return (h.label || "") + "（" + (LEVEL_LABELS[h.level] || h.level) + "）"; }).join("；")
      }));
    }
    var photos = (form.photos[key] = (saved && saved.photoList) || []);
    if (question.type === "photo" || question.photo !== "none") {
      var inputId = "f-" + name;
      var hint = question.type === "photo" ? "拍照" : question.photo === "always" ? "拍照（必须）" : "拍照（发现隐患时必须）";
      var input = el("input", { id: inputId, type: "file", accept: "image/*", capture: "environment", multiple: true, "data-photo-input": key });
      var thumbs = el("div", { className: "thumbs" });
      box.appendChild(el("div", { className: "q-photos" }, [el("label", { "for": inputId, className: "photo-label", text: hint }), input, thumbs]));
      photoPicker(input, thumbs, photos, function () { refreshQuestion(box, question, photos); });
    }
    box.appendChild(el("div", { className: "q-hazard", role: "status", "aria-live": "polite" }));
    box.appendChild(el("div", { className: "problem", "data-problem": key }));
    control.addEventListener("input", function () { refreshQuestion(box, question, photos); });
    control.addEventListener("change", function () { refreshQuestion(box, question, photos); });
    refreshQuestion(box, question, photos, true);
    return { box: box, question: question, item: item, photos: photos };
  }

  // the hazard an answer shows, marked as the worker answers
  function refreshQuestion(box, question, photos, quiet) {
    var value = questionValue(box, question);
    var level = hazardLevel(question, value);
    var mark = box.querySelector(".q-hazard");
    box.classList.toggle("is-hazard", !!level);
    box.classList.toggle("is-major", level === "major");
    box.setAttribute("data-hazard", level || "");
    mark.textContent = level ? "⚠ " + LEVEL_LABELS[level] + (question.photo === "hazard" ? "，须拍照" : "") : "";
    if (!quiet) {
      var problem = box.querySelector(".problem");
      if (problem.textContent) problem.textContent = questionProblems(question, value, photos).join("；");
    }
  }

  function renderRecheck(recheck, saved, form) {
    var key = "recheck-" + recheck.hazard_id;
    var box = el("div", { className: "question recheck", "data-recheck": recheck.hazard_id });
    box.appendChild(el("div", { className: "q-text" }, [
      el("strong", { text: "复查：" }), recheck.question || ""
    ]));
    box.appendChild(el("div", {
      className: "small muted",
      text: "上次答案：" + (recheck.answer || "") + " · " + (LEVEL_LABELS[recheck.level] || recheck.level || "") +
        (recheck.rectify_by ? " · 整改期限 " + recheck.rectify_by : "") +
        (recheck.order_number ? " · 工单 " + recheck.order_number : "")
    }));
    var fixed = saved ? saved.fixed : null;
    var name = key + "-fixed";
    box.appendChild(el("div", { className: "q-control", role: "group", "aria-label": "是否已整改" }, [
      el("label", { className: "choice" }, [el("input", { type: "radio", name: name, value: "yes", checked: fixed === true }), " 已整改"]),
      el("label", { className: "choice" }, [el("input", { type: "radio", name: name, value: "no", checked: fixed === false }), " 未整改"])
    ]));
    var note = el("input", { type: "text", maxlength: "500", placeholder: "复查说明（可选）", "aria-label": "复查说明", className: "recheck-note" });
    note.value = (saved && saved.note) || "";
    box.appendChild(note);
    var photos = (form.photos[key] = (saved && saved.photoList) || []);
    var inputId = "f-" + key;
    var input = el("input", { id: inputId, type: "file", accept: "image/*", capture: "environment", multiple: true });
    var thumbs = el("div", { className: "thumbs" });
    box.appendChild(el("div", { className: "q-photos" }, [el("label", { "for": inputId, className: "photo-label", text: "复查照片" }), input, thumbs]));
    photoPicker(input, thumbs, photos);
    return { box: box, recheck: recheck, photos: photos };
  }

  // the saved answers of a queued record, with its photos, to fill the form again (需修改)
  function savedAnswers(record) {
    var out = {};
    var blobs = {};
    (record.photos || []).forEach(function (p) { blobs[p.id] = p.blob; });
    function list(ids) {
      return (ids || []).filter(function (id) { return blobs[id]; }).map(function (id) { return { id: id, blob: blobs[id] }; });
    }
    var answers = record.visit.answers || {};
    Object.keys(answers).forEach(function (code) {
      var given = answers[code].answers || {};
      Object.keys(given).forEach(function (qid) {
        out[answerKey(code, qid)] = { value: given[qid].value, photoList: list(given[qid].photos) };
      });
    });
    (record.visit.rechecks || []).forEach(function (r) {
      out["recheck-" + r.hazard_id] = { fixed: r.fixed, note: r.note, photoList: list(r.photos) };
    });
    return out;
  }

  function openVisit(task, record) {
    var view = document.getElementById("view-visit");
    clear(view);
    var o = task.object || {};
    var form = { task: task, record: record || null, photos: {}, position: null, questions: [], rechecks: [] };
    state.form = form;
    var saved = record ? savedAnswers(record) : {};
    view.appendChild(el("p", {}, [el("a", { href: "#/", text: "← 返回任务列表" })]));
    view.appendChild(el("h1", { id: "h-visit" }, [o.name || "", " ", el("span", { className: "badge", text: o.kind_label || "" })]));
    view.appendChild(el("p", { className: "small" }, [
      (o.address || "") + " · 风险 " + (o.risk_label || "") + " · 时限 " + (task.earliest || "") + " 至 " + (task.latest || "") + " ",
      taskBadge(task)
    ]));
    if (!record && task.status !== "pending") {
      view.appendChild(el("p", {
        className: "alert", text: "该任务已" + (task.status_label || "完成") + "，再次提交将作为加查记录保存。"
      }));
    }
    if (record && record.state === "invalid") {
      var problems = el("div", { className: "alert error", role: "alert" }, [el("strong", { text: "服务器退回，请修改后重新提交：" })]);
      var ul = el("ul");
      (record.problems || []).forEach(function (p) { ul.appendChild(el("li", { text: p })); });
      if (!(record.problems || []).length && record.message) ul.appendChild(el("li", { text: record.message }));
      problems.appendChild(ul);
      view.appendChild(problems);
    }
    var formNode = el("form", { className: "visit-form", novalidate: true, "data-task": task.id });
    (task.items || []).forEach(function (item) {
      var fieldset = el("fieldset", { className: "card checklist", "data-item": item.code });
      fieldset.appendChild(el("legend", {}, [
        el("span", { className: "item-code", text: item.code }), " ", item.name || "",
        item.department ? el("span", { className: "small muted", text: " · " + item.department }) : null
      ]));
      if (item.legal_basis) fieldset.appendChild(el("p", { className: "small muted", text: "依据：" + item.legal_basis }));
      (item.questions || []).forEach(function (q) {
        var r = renderQuestion(item, q, saved[answerKey(item.code, q.id)], form);
        form.questions.push(r);
        fieldset.appendChild(r.box);
      });
      formNode.appendChild(fieldset);
    });
    if ((task.rechecks || []).length) {
      var rs = el("fieldset", { className: "card checklist rechecks" }, [el("legend", { text: "复查（上次发现的隐患）" })]);
      task.rechecks.forEach(function (r) {
        var node = renderRecheck(r, saved["recheck-" + r.hazard_id], form);
        form.rechecks.push(node);
        rs.appendChild(node.box);
      });
      formNode.appendChild(rs);
    }
    var note = el("textarea", { id: "visit-note", rows: "2", maxlength: "500" });
    note.value = (record && record.visit.note) || "";
    formNode.appendChild(el("div", { className: "card" }, [
      el("label", { "for": "visit-note", text: "备注" }), note,
      el("p", { className: "position small", "data-position": "" }),
      el("p", { className: "small muted", text: "巡查时间在提交时自动记录。" })
    ]));
    formNode.appendChild(el("p", { className: "form-problems", role: "alert" }));
    formNode.appendChild(el("button", { type: "submit", className: "primary big", text: record ? "重新提交" : "提交巡查" }));
    formNode.appendChild(el("p", {}, [el("a", { href: "#/report/" + (o.id || ""), text: "随手报（本对象的其他问题）" })]));
    view.appendChild(formNode);
    locate(form, formNode.querySelector("[data-position]"));
    formNode.addEventListener("submit", function (event) {
      event.preventDefault();
      submitVisit(form, formNode, note);
    });
  }

  function submitVisit(form, formNode, note) {
    var answers = {};
    var photos = [];
    var bad = 0;
    var firstBad = null;
    form.questions.forEach(function (q) {
      var value = questionValue(q.box, q.question);
      var problems = questionProblems(q.question, value, q.photos);
      var line = q.box.querySelector(".problem");
      line.textContent = problems.join("；");
      q.box.classList.toggle("has-problem", problems.length > 0);
      if (problems.length) {
        bad += 1;
        if (!firstBad) firstBad = q.box;
        return;
      }
      if (value === null && !q.photos.length) return;
      var code = q.item.code;
      if (!answers[code]) answers[code] = { version: q.item.version, answers: {} };
      answers[code].answers[q.question.id] = { value: value, photos: q.photos.map(function (p) { return p.id; }) };
      q.photos.forEach(function (p) { photos.push({ id: p.id, blob: p.blob }); });
    });
    var rechecks = [];
    form.rechecks.forEach(function (r) {
      var picked = r.box.querySelector("input[type=radio]:checked");
      if (!picked) return;
      rechecks.push({
        hazard_id: r.recheck.hazard_id, fixed: picked.value === "yes",
        note: r.box.querySelector(".recheck-note").value.trim(), photos: r.photos.map(function (p) { return p.id; })
      });
      r.photos.forEach(function (p) { photos.push({ id: p.id, blob: p.blob }); });
    });
    var summary = formNode.querySelector(".form-problems");
    if (!bad && photos.length > PHOTOS_MAX) {
      summary.textContent = "一次巡查最多 " + PHOTOS_MAX + " 张照片，现有 " + photos.length + " 张，请删去一些。";
      return;
    }
    if (bad) {
      summary.textContent = "还有 " + bad + " 个问题需要填写或拍照，请检查标红的项目。";
      if (firstBad && firstBad.scrollIntoView) firstBad.scrollIntoView({ block: "center" });
      return;
    }
    summary.textContent = "";
    var task = form.task;
    var o = task.object || {};
    var pos = form.position;
    var previous = form.record;
    var visit = {
      submission_id: previous ? previous.submission_id : newId(),
      task_id: task.id,
      object_id: o.id === undefined ? null : o.id,
      visited_at: visitTime(previous),
      lat: pos ? pos.lat : previous ? previous.visit.lat : null,
      lon: pos ? pos.lon : previous ? previous.visit.lon : null,
      accuracy_m: pos ? pos.accuracy_m : previous ? previous.visit.accuracy_m : null,
      coord_system: "wgs84",
      object_seen_at: o.updated_at || null,
      answers: answers,
      report: null,
      rechecks: rechecks,
      note: note.value.trim()
    };
    enqueue({
      kind: "visit", title: o.name || "巡查", visit: visit, photos: photos, task: task, previous: previous
    }).then(function () {
      state.form = null;
      location.hash = "#/";
      say(navigator.onLine ? "已保存，正在同步…" : "已保存在手机上，联网后自动同步", "ok");
      sync();
    });
  }

  // When the answers were given: now, or for a queued record edited before it was sent, the
  // time it was first saved. A record the server sent back (需修改) is answered again now.
  function visitTime(previous) {
    return previous && previous.state === "pending" ? previous.visit.visited_at : isoWithOffset(new Date());
  }

  // -- the free report (随手报) ------------------------------------------------------------------

  function openReport(objectId, record) {
    var formNode = document.getElementById("report-form");
    formNode.reset();
    var objectLine = document.getElementById("report-object");
    var task = null;
    ((state.today && state.today.tasks) || []).forEach(function (t) {
      if (t.object && String(t.object.id) === String(objectId)) task = t;
    });
    var report = { objectId: objectId ? Number(objectId) : null, object: task ? task.object : null, photos: [], record: record || null, position: null };
    if (record) report.objectId = record.visit.object_id;
    state.report = report;
    if (report.object) {
      objectLine.hidden = false;
      objectLine.textContent = "关联对象：" + report.object.name;
    } else {
      objectLine.hidden = true;
      objectLine.textContent = "";
    }
    if (record) {
      formNode.querySelector("#report-description").value = record.visit.report.description || "";
      formNode.querySelector("#report-address").value = record.visit.report.address || "";
      var blobs = {};
      record.photos.forEach(function (p) { blobs[p.id] = p.blob; });
      (record.visit.report.photos || []).forEach(function (id) { if (blobs[id]) report.photos.push({ id: id, blob: blobs[id] }); });
    }
    var thumbs = formNode.querySelector("[data-thumbs=report]");
    var old = document.getElementById("report-photos");
    var input = old.cloneNode(false); // a fresh listener for this report
    old.parentNode.replaceChild(input, old);
    photoPicker(input, thumbs, report.photos);
    formNode.querySelector(".form-problems").textContent = "";
    formNode.querySelector("[data-problem=description]").textContent = "";
    locate(report, formNode.querySelector("[data-position]"));
  }

  function submitReport(event) {
    event.preventDefault();
    var report = state.report;
    if (!report) return;
    var formNode = document.getElementById("report-form");
    var description = formNode.querySelector("#report-description").value.trim();
    var address = formNode.querySelector("#report-address").value.trim();
    if (report.photos.length > PHOTOS_MAX) {
      formNode.querySelector(".form-problems").textContent = "一次最多 " + PHOTOS_MAX + " 张照片，请删去一些。";
      return;
    }
    if (!description) {
      formNode.querySelector("[data-problem=description]").textContent = "请描述看到的问题";
      formNode.querySelector(".form-problems").textContent = "请描述看到的问题";
      return;
    }
    var pos = report.position;
    var previous = report.record;
    var visit = {
      submission_id: previous ? previous.submission_id : newId(),
      task_id: null,
      object_id: report.objectId || null,
      visited_at: visitTime(previous),
      lat: pos ? pos.lat : previous ? previous.visit.lat : null,
      lon: pos ? pos.lon : previous ? previous.visit.lon : null,
      accuracy_m: pos ? pos.accuracy_m : previous ? previous.visit.accuracy_m : null,
      coord_system: "wgs84",
      object_seen_at: report.object ? report.object.updated_at || null : previous ? previous.visit.object_seen_at : null,
      answers: {},
      report: { description: description, address: address, photos: report.photos.map(function (p) { return p.id; }) },
      rechecks: [],
      note: ""
    };
    enqueue({
      kind: "report", title: "随手报：" + description.slice(0, 20), visit: visit,
      photos: report.photos.map(function (p) { return { id: p.id, blob: p.blob }; }), task: null, previous: previous
    }).then(function () {
      state.report = null;
      location.hash = "#/";
      say(navigator.onLine ? "随手报已保存，正在同步…" : "随手报已保存在手机上，联网后自动同步", "ok");
      sync();
    });
  }


  // -- verification tasks (核实) ---------------------------------------------------------------

  function verifyTab() {
    return document.getElementById("verify-tab");
  }

  function loadVerifications() {
    if (!VERIFY_URL) return Promise.resolve();
    return fetch(VERIFY_URL, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 404 || response.status === 403) {
          state.verify = null;
          verifyTab().hidden = true;
          root.setAttribute("data-verify", "none");
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        var offline = response.headers.get("X-Patrol-Offline") === "1";
        return response.json().then(function (data) {
          if (!data || !data.worker || data.worker.id !== WORKER) throw new Error("another worker's tasks");
          if (!offline) {
            put("meta", { key: "verify:" + WORKER, worker_id: WORKER, data: data });
            warmEvidence(data.tasks || []);
          }
          showVerifications(data, offline);
        });
      })
      .catch(function () {
        return tx("meta", "readonly", function (store) { return store.get("verify:" + WORKER); }).then(function (row) {
          if (row && row.data) showVerifications(row.data, true);
        });
      });
  }

  // Keep each task's first evidence image in the service worker's data cache while online, so
  // that the image is there at the spot without network (the worker answers from that cache).
  function warmEvidence(tasks) {
    if (!window.caches) return;
    var urls = [];
    tasks.slice(0, 30).forEach(function (task) {
      var first = (task.evidence || [])[0];
      if (first && first.url) urls.push(first.url);
    });
    caches.open(DATA_CACHE).then(function (cache) {
      return Promise.all(urls.map(function (url) { return cache.add(url).catch(function () {}); }));
    }).then(function () {
      root.setAttribute("data-evidence-kept", String(urls.length));
    }, function () {});
  }

  function verifyTasks() {
    return (state.verify && state.verify.tasks) || [];
  }

  function findVerification(id) {
    var tasks = verifyTasks();
    for (var i = 0; i < tasks.length; i++) if (tasks[i].id === id) return tasks[i];
    return null;
  }

  function queuedAnswer(taskId) {
    var found = null;
    state.queue.forEach(function (r) { if (r.kind === "verification" && r.task_id === taskId) found = r; });
    return found;
  }

  function dueLine(task) {
    return el("span", {
      className: "small verify-due" + (task.overdue ? " overdue" : ""),
      text: (task.overdue ? "已超时，" : "") + "核实时限 " + shownTime(task.due_at)
    });
  }

  function evidenceImage(task, className) {
    var first = (task.evidence || [])[0];
    if (!first) return el("span", { className: "small muted", text: "无证据图片" });
    return el("img", {
      src: first.url, alt: "告警证据：" + ((task.scene && task.scene.name) || ""), className: className, loading: "lazy"
    });
  }

  function showVerifications(data, offline) {
    state.verify = data || { tasks: [] };
    state.verifyOffline = offline;
    var tab = verifyTab();
    tab.hidden = false;
    root.setAttribute("data-verify", offline ? "offline" : "ready");
    var tasks = verifyTasks();
    var waiting = tasks.filter(function (t) { return !queuedAnswer(t.id); });
    document.getElementById("verify-count").textContent = waiting.length ? String(waiting.length) : "";
    var list = document.getElementById("verify-list");
    clear(list);
    document.getElementById("verify-note").textContent = offline ? "离线数据" : "";
    if (!tasks.length) {
      list.appendChild(el("li", { className: "muted", text: "没有待核实的告警" }));
      return;
    }
    tasks.forEach(function (task) {
      var queued = queuedAnswer(task.id);
      var card = el("a", { href: "#/verify/" + task.id, className: "task-card verify-card" + (task.overdue ? " overdue" : "") }, [
        el("span", { className: "task-head" }, [
          el("span", { className: "task-name", text: (task.scene && task.scene.name) || "" }),
          el("span", { className: "badge", text: task.kind_label || "" }),
          queued ? el("span", { className: "badge st-queued", text: "待同步" }) : null,
          task.overdue ? el("span", { className: "badge st-missed", text: "超时" }) : null
        ]),
        evidenceImage(task, "verify-thumb"),
        el("span", { className: "task-meta small", text: ((task.device && task.device.name) || "") + " · " + (task.address || "") }),
        dueLine(task)
      ]);
      list.appendChild(el("li", { "data-verification": task.id }, [card]));
    });
  }

  function miniMap(box, task) {
    if (!window.L || typeof task.lat !== "number" || typeof task.lon !== "number") {
      box.hidden = true;
      return;
    }
    var map = L.map(box, { attributionControl: false, zoomControl: false, maxZoom: 19 });
    var tiles = root.getAttribute("data-tiles");
    if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
    map.setView([task.lat, task.lon], 17);
    L.circleMarker([task.lat, task.lon], {
      radius: 9, weight: 2, color: "#fff", fillColor: task.overdue ? "#c92a2a" : "#e8590c", fillOpacity: 0.9,
      className: "verify-point"
    }).addTo(map);
    box.setAttribute("data-points", "1");
    setTimeout(function () { map.invalidateSize(); }, 0);
  }

  function openAnswer(task) {
    var view = document.getElementById("view-answer");
    clear(view);
    var queued = queuedAnswer(task.id);
    var form = { task: task, photos: [], position: null };
    state.answer = form;
    var notice = task.kind === "notice";
    view.appendChild(el("p", {}, [el("a", { href: "#/verify", text: "← 返回核实列表" })]));
    view.appendChild(el("h1", { id: "h-answer" }, [
      (task.scene && task.scene.name) || "", " ", el("span", { className: "badge", text: task.kind_label || "" })
    ]));
    view.appendChild(el("figure", { className: "verify-evidence" }, [evidenceImage(task, "verify-image")]));
    var facts = el("dl", { className: "verify-facts small" });
    [
      ["设备", ((task.device && task.device.name) || "") + "（" + ((task.device && task.device.code) || "") + "）"],
      ["地址", task.address || ""],
      ["告警", (task.event ? task.event.count : 0) + " 次，最近 " + shownTime(task.event && task.event.last_seen)],
      ["网格", (task.grid && task.grid.code) || ""]
    ].forEach(function (pair) {
      facts.appendChild(el("dt", { text: pair[0] }));
      facts.appendChild(el("dd", { text: pair[1] }));
    });
    view.appendChild(facts);
    view.appendChild(dueLine(task));
    var mapBox = el("div", { className: "verify-map", role: "region", "aria-label": "告警位置" });
    view.appendChild(mapBox);
    if (notice && task.order) {
      view.appendChild(el("p", { className: "alert", text: "已立即登记紧急工单 " + (task.order.number || "") + "，请尽快到场处置。" }));
    }
    if (queued) {
      view.appendChild(el("p", {
        className: "alert", text: "已提交「" + (ANSWER_LABELS[queued.answer] || queued.answer) + "」，" + (queued.state === "pending" ? "等待同步。" : queued.message || "")
      }));
    }
    var formNode = el("form", { className: "visit-form answer-form", novalidate: true, "data-verification": task.id });
    var note = el("textarea", { id: "answer-note", rows: "2", maxlength: "500" });
    if (queued) note.value = queued.note || "";
    var input = el("input", { id: "answer-photos", type: "file", accept: "image/*", capture: "environment" });
    var thumbs = el("div", { className: "thumbs", "data-thumbs": "answer" });
    formNode.appendChild(el("div", { className: "card" }, [
      el("label", { "for": "answer-note", text: "说明（可选）" }), note,
      el("div", { className: "question", "data-photos": "answer" }, [
        el("label", { "for": "answer-photos", text: "拍照（可选）" }), input, thumbs
      ]),
      el("p", { className: "position small", "data-position": "" })
    ]));
    formNode.appendChild(el("p", { className: "form-problems", role: "alert" }));
    var buttons = el("div", { className: "answer-buttons" });
    (notice ? [["confirmed", "已到场"]] : [["confirmed", "属实"], ["false_alarm", "误报"], ["gone", "已消失"]]).forEach(function (pair) {
      var button = el("button", { type: "button", className: "big answer-" + pair[0], "data-answer": pair[0], text: pair[1] });
      button.addEventListener("click", function () { submitAnswer(form, formNode, note, pair[0], pair[1]); });
      buttons.appendChild(button);
    });
    formNode.appendChild(buttons);
    view.appendChild(formNode);
    photoPicker(input, thumbs, form.photos);
    miniMap(mapBox, task);
  }

  function submitAnswer(form, formNode, note, answer, label) {
    if (form.photos.length > VERIFY_PHOTOS_MAX) {
      formNode.querySelector(".form-problems").textContent = "最多 " + VERIFY_PHOTOS_MAX + " 张照片，请删去一些。";
      return;
    }
    var task = form.task;
    var previous = queuedAnswer(task.id);
    var record = {
      submission_id: previous ? previous.submission_id : newId("v-"),
      worker_id: WORKER,
      seq: previous ? previous.seq : Date.now() * 1000 + Math.floor(Math.random() * 1000),
      created_at: previous ? previous.created_at : new Date().toISOString(),
      kind: "verification",
      title: "核实：" + ((task.scene && task.scene.name) || "") + "（" + label + "）",
      task_id: task.id,
      answer: answer,
      note: note.value.trim(),
      visit: { task_id: null },
      photos: form.photos.map(function (p) { return { id: p.id, blob: p.blob }; }),
      task: null,
      state: "pending",
      problems: [],
      message: ""
    };
    put("queue", record).then(loadQueue).then(function () {
      state.answer = null;
      location.hash = "#/verify";
      say(navigator.onLine ? "核实结果已保存，正在同步…" : "核实结果已保存在手机上，联网后自动同步", "ok");
      sync();
    });
  }

  function answerData(record) {
    var data = new FormData();
    data.append("answer", record.answer);
    data.append("note", record.note || "");
    data.append("submission_id", record.submission_id);
    (record.photos || []).forEach(function (p) { data.append("photos", p.blob, p.id + ".jpg"); });
    return data;
  }

  // -- the queue --------------------------------------------------------------------------------

  function enqueue(entry) {
    var previous = entry.previous;
    var record = {
      submission_id: entry.visit.submission_id,
      worker_id: WORKER,
      seq: previous ? previous.seq : Date.now() * 1000 + Math.floor(Math.random() * 1000),
      created_at: previous ? previous.created_at : new Date().toISOString(),
      kind: entry.kind,
      title: entry.title,
      visit: entry.visit,
      photos: entry.photos,
      task: entry.task,
      state: "pending",
      problems: [],
      message: ""
    };
    return put("queue", record).then(loadQueue);
  }

  function problemTexts(body) {
    var out = [];
    (body && body.problems ? body.problems : []).forEach(function (p) {
      if (typeof p === "string") out.push(p);
      else if (p && p.message) out.push((p.item ? p.item + " " : "") + p.message);
      else if (p) out.push(JSON.stringify(p));
    });
    return out;
  }

  function messageOf(body, fallback) {
    if (!body) return fallback;
    if (typeof body.message === "string" && body.message) return body.message;
    if (typeof body.detail === "string" && body.detail) return body.detail;
    return fallback;
  }

  // One record sent. Resolves "sent", "kept" (marked: 需修改 or an error the worker must see)
  // or "stop" (no network, logged out, the server failing: try again later).
  function send(record) {
    var url = VISITS_URL;
    var data;
    if (record.kind === "verification") {
      url = ANSWER_URL + encodeURIComponent(String(record.task_id)) + "/answer";
      data = answerData(record);
    } else {
      data = new FormData();
      data.append("visit", JSON.stringify(record.visit));
      (record.photos || []).forEach(function (p) {
        data.append("photos", p.blob, p.id + ".jpg");
      });
    }
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": csrfToken() },
      body: data
    }).then(
      function (response) {
        return response.text().then(function (text) {
          var body = null;
          try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
          var status = response.status;
          if (status === 200 || status === 201) {
            if (body && body.conflict) {
              record.state = "conflict";
              record.receipt = body;
              record.message = messageOf(body.conflict, "服务器上的数据已变化");
              record.photos = []; // the server has them now
              return put("queue", record).then(function () { return "kept"; });
            }
            var sent = {
              submission_id: record.submission_id, worker_id: WORKER, seq: record.seq, kind: record.kind,
              title: record.title, receipt: body || {}, synced_at: new Date().toISOString()
            };
            return put("sent", sent).then(function () { return remove("queue", record.submission_id); }).then(function () { return "sent"; });
          }
          if (status === 401) {
            state.loginNeeded = true;
            return "stop";
          }
          if (status === 422) {
            record.state = "invalid";
            record.problems = problemTexts(body);
            record.message = messageOf(body, "提交的内容有误");
            return put("queue", record).then(function () { return "kept"; });
          }
          if (status === 409 || status === 404 || status === 403 || status === 413 || status === 400) {
            record.state = "error";
            record.problems = problemTexts(body);
            record.message = messageOf(body, "服务器拒绝了这条记录（" + status + "）");
            return put("queue", record).then(function () { return "kept"; });
          }
          return "stop"; // 5xx, 429 …: the same record again later
        });
      },
      function () { return "stop"; }
    );
  }

  function sync() {
    if (state.syncing) return Promise.resolve();
    var run = function () {
      state.syncing = true;
      root.setAttribute("data-sync", "running");
      return allOf("queue").then(function (rows) {
        var todo = rows.filter(function (r) { return r.state === "pending"; }).sort(function (a, b) { return a.seq - b.seq; });
        var sentCount = 0;
        var keptCount = 0;
        var stopped = false;
        if (todo.length) say("正在同步 " + todo.length + " 条…");
        var chain = todo.reduce(function (previous, record) {
          return previous.then(function () {
            if (stopped) return null;
            return send(record).then(function (outcome) {
              if (outcome === "sent") sentCount += 1;
              else if (outcome === "kept") keptCount += 1;
              else stopped = true;
            });
          });
        }, Promise.resolve());
        return chain.then(function () {
          if (state.loginNeeded && stopped) loginPrompt();
          else if (stopped) say("网络不可用，记录已保存在手机上，联网后自动同步", "warn");
          else if (todo.length) {
            say("已同步 " + sentCount + " 条" + (keptCount ? "，" + keptCount + " 条需要处理（见提交记录）" : ""), keptCount ? "warn" : "ok");
          }
          return loadQueue().then(function () {
            if (sentCount || keptCount) return loadToday().then(loadVerifications);
            return null;
          });
        });
      }).then(function () {
        state.syncing = false;
        state.runs += 1;
        root.setAttribute("data-sync", "idle");
        root.setAttribute("data-sync-runs", String(state.runs));
      }, function (error) {
        state.syncing = false;
        root.setAttribute("data-sync", "idle");
        say("同步出错：" + (error && error.message ? error.message : error), "warn");
      });
    };
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("zhiyun-patrol-sync", { ifAvailable: true }, function (lock) {
        return lock ? run() : null; // another tab of this page is sending
      });
    }
    return run();
  }

  function queueItem(record) {
    var li = el("li", { "data-submission": record.submission_id, "data-state": record.state, className: "queue-item" });
    li.appendChild(el("div", {}, [
      el("strong", { text: record.title || "" }),
      " ",
      el("span", { className: "small muted", text: shownTime(record.created_at || record.synced_at) })
    ]));
    if (record.state === "pending") li.appendChild(el("div", { className: "small", text: "待同步" + ((record.photos || []).length ? "（" + record.photos.length + " 张照片）" : "") }));
    if (record.message && record.state !== "pending") li.appendChild(el("div", { className: "small msg", text: record.message }));
    if ((record.problems || []).length) {
      var ul = el("ul", { className: "small problems" });
      record.problems.forEach(function (p) { ul.appendChild(el("li", { text: p })); });
      li.appendChild(ul);
    }
    var actions = el("div", { className: "queue-actions" });
    if (record.state === "invalid" || record.state === "error") {
      actions.appendChild(el("a", { href: "#/fix/" + record.submission_id, className: "button", text: "修改" }));
    }
    if (record.state === "error") {
      var retry = el("button", { type: "button", text: "重试" });
      retry.addEventListener("click", function () {
        record.state = "pending";
        put("queue", record).then(loadQueue).then(sync);
      });
      actions.appendChild(retry);
    }
    if (record.state === "conflict") {
      var ok = el("button", { type: "button", text: "知道了" });
      ok.addEventListener("click", function () {
        var sent = {
          submission_id: record.submission_id, worker_id: WORKER, seq: record.seq, kind: record.kind,
          title: record.title, receipt: record.receipt || {}, synced_at: new Date().toISOString()
        };
        put("sent", sent).then(function () { return remove("queue", record.submission_id); }).then(loadQueue);
      });
      actions.appendChild(ok);
    }
    if (record.state === "invalid" || record.state === "error") {
      var drop = el("button", { type: "button", className: "danger", text: "放弃" });
      drop.addEventListener("click", function () {
        if (window.confirm("放弃这条记录？放弃后无法恢复。")) remove("queue", record.submission_id).then(loadQueue);
      });
      actions.appendChild(drop);
    }
    if (actions.firstChild) li.appendChild(actions);
    return li;
  }

  function sentItem(row) {
    var r = row.receipt || {};
    var li = el("li", { "data-submission": row.submission_id, "data-state": "sent", className: "queue-item" });
    li.appendChild(el("div", {}, [el("strong", { text: row.title || "" }), " ", el("span", { className: "small muted", text: "同步于 " + shownTime(row.synced_at) })]));
    var parts = [];
    if (r.task && r.task.status_label) parts.push(r.task.status_label);
    if ((r.satisfied || []).length) parts.push("完成事项 " + r.satisfied.join("、"));
    if ((r.unsatisfied || []).length) parts.push("未完成 " + r.unsatisfied.join("、") + "（已生成后续任务）");
    if (parts.length) li.appendChild(el("div", { className: "small", text: parts.join("；") }));
    (r.hazards || []).forEach(function (h) {
      li.appendChild(el("div", {
        className: "small hazard-line",
        text: (LEVEL_LABELS[h.level] || h.level || "") + "：" + (h.question || "") + "（" + (h.answer || "") + "）" + (h.order_number ? " 工单 " + h.order_number : "")
      }));
    });
    if (r.report_order_number) li.appendChild(el("div", { className: "small", text: "随手报已登记为工单 " + r.report_order_number }));
    if (row.kind === "verification" && r.order && r.order.number) {
      li.appendChild(el("div", { className: "small", "data-order": r.order.number, text: "已登记为工单 " + r.order.number }));
    }
    if (r.conflict && r.conflict.message) li.appendChild(el("div", { className: "small msg", text: "冲突：" + r.conflict.message }));
    return li;
  }

  function showQueue() {
    var pending = state.queue.filter(function (r) { return r.state === "pending"; });
    var invalid = state.queue.filter(function (r) { return r.state === "invalid" || r.state === "error"; });
    var conflicts = state.queue.filter(function (r) { return r.state === "conflict"; });
    document.getElementById("queue-count").textContent = String(pending.length);
    var extra = [];
    if (invalid.length) extra.push("需修改 " + invalid.length);
    if (conflicts.length) extra.push("冲突 " + conflicts.length);
    document.getElementById("queue-extra").textContent = extra.join(" · ");
    root.setAttribute("data-queued", String(pending.length));
    [["queue-pending", pending, "没有待同步的记录"], ["queue-invalid", invalid, "没有"], ["queue-conflict", conflicts, "没有"]].forEach(function (spec) {
      var list = document.getElementById(spec[0]);
      clear(list);
      if (!spec[1].length) list.appendChild(el("li", { className: "muted small", text: spec[2] }));
      spec[1].forEach(function (r) { list.appendChild(queueItem(r)); });
    });
    var sentList = document.getElementById("queue-sent");
    clear(sentList);
    var kept = state.sent.slice(0, SENT_KEPT);
    state.sent.slice(SENT_KEPT).forEach(function (old) { remove("sent", old.submission_id); });
    if (!kept.length) sentList.appendChild(el("li", { className: "muted small", text: "没有" }));
    kept.forEach(function (row) { sentList.appendChild(sentItem(row)); });
    if (state.today) showTasks();
    if (state.verify) showVerifications(state.verify, state.verifyOffline);
  }

  // -- views ------------------------------------------------------------------------------------

  function show(name) {
    document.querySelectorAll(".patrol-view").forEach(function (view) {
      view.hidden = view.getAttribute("data-view") !== name;
    });
    document.querySelectorAll(".patrol-tabs a").forEach(function (a) {
      if (a.getAttribute("data-tab") === name) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
    root.setAttribute("data-view", name);
  }

  function route() {
    var hash = location.hash || "#/";
    var m;
    if ((m = hash.match(/^#\/task\/(\d+)$/))) {
      var task = findTask(Number(m[1]));
      if (!task) {
        show("list");
        if (state.today) say("任务不在今日列表中", "warn");
        return;
      }
      if (!state.form || state.form.task.id !== task.id) {
        var queued = null;
        state.queue.forEach(function (r) { if (r.kind === "visit" && r.visit.task_id === task.id && r.state !== "conflict") queued = r; });
        openVisit(task, queued);
      }
      show("visit");
      window.scrollTo(0, 0);
      return;
    }
    if ((m = hash.match(/^#\/verify\/(\d+)$/))) {
      var verification = findVerification(Number(m[1]));
      if (!verification) {
        show("verify");
        if (state.verify) say("核实任务不在列表中（可能已处理）", "warn");
        return;
      }
      if (!state.answer || state.answer.task.id !== verification.id) openAnswer(verification);
      show("answer");
      window.scrollTo(0, 0);
      return;
    }
    if (hash === "#/verify") {
      show("verify");
      return;
    }
    if ((m = hash.match(/^#\/fix\/([A-Za-z0-9_-]+)$/))) {
      var record = null;
      state.queue.forEach(function (r) { if (r.submission_id === m[1]) record = r; });
      if (!record) { location.hash = "#/queue"; return; }
      if (record.kind === "verification") { location.hash = "#/verify/" + record.task_id; return; }
      // opened once: a sync that refreshes the list meanwhile keeps what is being typed
      if (record.kind === "report") {
        if (!(state.report && state.report.record && state.report.record.submission_id === record.submission_id)) openReport(null, record);
        show("report");
      } else {
        if (!(state.form && state.form.record && state.form.record.submission_id === record.submission_id)) openVisit(record.task, record);
        show("visit");
      }
      return;
    }
    if ((m = hash.match(/^#\/report(?:\/(\d*))?$/))) {
      if (!state.report || String(state.report.objectId || "") !== String(m[1] || "")) openReport(m[1] || null, null);
      show("report");
      return;
    }
    if (hash === "#/map") {
      show("map");
      drawMap();
      return;
    }
    if (hash === "#/queue") {
      show("queue");
      return;
    }
    show("list");
  }

  function showNetwork() {
    var net = document.getElementById("net-state");
    var online = navigator.onLine;
    net.textContent = online ? "在线" : "离线";
    net.setAttribute("data-online", online ? "1" : "0");
  }

  // -- the service worker -----------------------------------------------------------------------

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker
      .register(root.getAttribute("data-sw"), { scope: root.getAttribute("data-scope") })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () { root.setAttribute("data-offline-ready", "1"); })
      .catch(function () { root.setAttribute("data-offline-ready", "0"); });
  }

  // -- start ------------------------------------------------------------------------------------

  document.getElementById("sync-now").addEventListener("click", function () {
    if (state.loginNeeded) state.loginNeeded = false;
    sync();
  });
  document.getElementById("report-form").addEventListener("submit", submitReport);
  window.addEventListener("hashchange", route);
  window.addEventListener("online", function () { showNetwork(); sync(); });
  window.addEventListener("offline", showNetwork);
  window.setInterval(function () {
    if (navigator.onLine && !state.loginNeeded && state.queue.some(function (r) { return r.state === "pending"; })) sync();
  }, RETRY_MS);
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});

  showNetwork();
  registerWorker();
  loadQueue()
    .then(loadToday)
    .then(loadVerifications)
    .then(function () {
      route();
      return sync();
    });
  window.zhiyunPatrol = { sync: sync, state: state }; // for the browser tests
})();
