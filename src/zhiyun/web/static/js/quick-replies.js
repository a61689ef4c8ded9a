// Quick replies (常用语) in the console's note and reply fields.
//
// Every <textarea data-quick-replies="ORDER"> (or <input data-quick-replies>) gets a picker:
// type "/" (or "／", or "、" at the start of a line) and a keyword, choose with ↑/↓, insert with
// Enter or Tab, close with Esc. The snippets come from GET /api/v1/quick-replies?order=ORDER
// with the session cookie, already filled for that order by the server (an empty attribute:
// no order, only the order-independent placeholders are filled). What is inserted is text:
// the picker is built from text nodes and the field's value is changed as text, never as
// markup. No inline script anywhere (the Content-Security-Policy runs none).
(function () {
  "use strict";

  var FIELD = "[data-quick-replies]";
  var API = "/api/v1/quick-replies";
  var STYLES = "/static/css/quick-replies.css";
  var KEY_MAX = 20; // a keyword's length (the service's TITLE_MAX)
  var SHOWN_MAX = 50;
  var cache = {}; // order key → Promise of the snippets
  var state = null; // the open picker: {field, start, query, items, active, box, list}
  var seq = 0;
  var inserting = false;

  // -- forms that ask before they are sent: <form data-confirm="确定…？"> ----------------------
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    },
    true
  );

  function ensureStyles() {
    if (document.querySelector('link[href="' + STYLES + '"]')) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = STYLES;
    document.head.appendChild(link);
  }

  function prepare(field) {
    if (field.hasAttribute("data-qr-ready")) return;
    field.setAttribute("data-qr-ready", "");
    field.setAttribute("autocomplete", "off");
    field.setAttribute("aria-autocomplete", "list");
    field.setAttribute("aria-expanded", "false");
    if (!field.getAttribute("placeholder")) field.setAttribute("placeholder", "输入“/”和关键词插入常用语");
  }

  function prepareAll(root) {
    var fields = (root || document).querySelectorAll(FIELD);
    if (!fields.length) return;
    ensureStyles();
    fields.forEach(prepare);
  }

  function load(order) {
    var key = order || "";
    if (!cache[key]) {
      var url = API + (key ? "?order=" + encodeURIComponent(key) : "");
      cache[key] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
        function (response) {
          if (!response.ok) {
            delete cache[key];
            var error = new Error("HTTP " + response.status);
            error.status = response.status;
            throw error;
          }
          return response.json();
        },
        function (error) {
          delete cache[key];
          throw error;
        }
      );
    }
    return cache[key];
  }

  // -- where the keyword is ---------------------------------------------------------------------

  // The "/keyword" just before the caret: {start, query}, or null.
  function trigger(field) {
    if (field.selectionStart !== field.selectionEnd) return null;
    var caret = field.selectionStart;
    var before = field.value.slice(Math.max(0, caret - KEY_MAX - 1), caret);
    for (var i = before.length - 1; i >= 0; i--) {
      var ch = before.charAt(i);
      if (/\s/.test(ch)) return null;
      if (ch === "/" || ch === "／" || ch === "、") {
        var start = caret - before.length + i;
        var prev = start > 0 ? field.value.charAt(start - 1) : "";
        if (ch === "、" && prev && !/\s/.test(prev)) return null; // an enumeration comma
        if (ch === "/" && /[A-Za-z0-9:\/.]/.test(prev)) return null; // a URL, a date, a fraction
        return { start: start, query: before.slice(i + 1) };
      }
    }
    return null;
  }

  // The caret's position in the page, by a mirror of the field (the usual technique).
  var MIRRORED = [
    "boxSizing", "width", "height", "overflowX", "overflowY", "borderTopWidth", "borderRightWidth",
    "borderBottomWidth", "borderLeftWidth", "paddingTop", "paddingRight", "paddingBottom", "paddingLeft",
    "fontStyle", "fontVariant", "fontWeight", "fontStretch", "fontSize", "lineHeight", "fontFamily",
    "textAlign", "textTransform", "textIndent", "letterSpacing", "wordSpacing", "tabSize"
  ];

  function caretPoint(field, position) {
    var rect = field.getBoundingClientRect();
    var style = window.getComputedStyle(field);
    var mirror = document.createElement("div");
    MIRRORED.forEach(function (name) { mirror.style[name] = style[name]; });
    mirror.style.position = "absolute";
    mirror.style.visibility = "hidden";
    mirror.style.top = "0";
    mirror.style.left = "-9999px";
    var isInput = field.tagName === "INPUT";
    mirror.style.whiteSpace = isInput ? "pre" : "pre-wrap";
    mirror.style.wordWrap = "break-word";
    mirror.textContent = field.value.slice(0, position);
    var marker = document.createElement("span");
    marker.textContent = field.value.slice(position) || ".";
    mirror.appendChild(marker);
    document.body.appendChild(mirror);
    var lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.4 || 18;
    var x = marker.offsetLeft - field.scrollLeft;
    var y = marker.offsetTop - field.scrollTop + lineHeight;
    document.body.removeChild(mirror);
    x = Math.min(Math.max(x, 0), rect.width - 8);
    y = Math.min(Math.max(y, lineHeight), rect.height);
    return { left: rect.left + window.scrollX + x, top: rect.top + window.scrollY + y };
  }

  // -- the picker ---------------------------------------------------------------------------------

  function matches(items, query) {
    var q = query.toLowerCase();
    if (!q) return items.slice(0, SHOWN_MAX);
    var first = [], second = [], third = [];
    items.forEach(function (item) {
      var title = String(item.title).toLowerCase();
      if (title.indexOf(q) === 0) first.push(item);
      else if (title.indexOf(q) > 0) second.push(item);
      else if (String(item.expanded || item.text).toLowerCase().indexOf(q) >= 0) third.push(item);
    });
    return first.concat(second, third).slice(0, SHOWN_MAX);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function open(field, found) {
    if (state && state.field !== field) close();
    if (!state) {
      var box = element("div", "qr-picker");
      box.setAttribute("data-testid", "quick-reply-picker");
      box.addEventListener("mousedown", function (event) { event.preventDefault(); }); // keep the focus
      var list = element("ul", "qr-options");
      list.id = "qr-options-" + (++seq);
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", "常用语");
      box.appendChild(element("div", "qr-hint", "常用语 · ↑↓ 选择 · 回车插入 · Esc 关闭"));
      box.appendChild(list);
      var manage = element("a", "qr-manage", "管理我的常用语");
      manage.href = "/replies";
      manage.target = "_blank";
      manage.rel = "noopener";
      box.appendChild(manage);
      document.body.appendChild(box);
      state = { field: field, start: found.start, query: null, items: null, shown: [], active: 0, box: box, list: list };
      field.setAttribute("aria-expanded", "true");
      field.setAttribute("aria-controls", list.id);
      status("正在加载常用语…");
      var current = state;
      load(field.getAttribute("data-quick-replies")).then(
        function (items) {
          if (state !== current) return;
          current.items = items;
          render();
        },
        function (error) {
          if (state !== current) return;
          status(error && error.status === 401 ? "登录已过期，请刷新页面后重试" : "常用语加载失败，请稍后重试");
        }
      );
    }
    state.start = found.start;
    if (state.query !== found.query) {
      state.query = found.query;
      state.active = 0;
      if (state.items) render();
    }
    place();
  }

  function status(text) {
    var list = state.list;
    list.textContent = "";
    list.appendChild(element("li", "qr-empty", text));
  }

  function render() {
    var list = state.list;
    state.shown = matches(state.items, state.query || "");
    list.textContent = "";
    if (!state.shown.length) {
      var none = state.items.length ? "没有关键词含“" + state.query + "”的常用语" : "还没有常用语，可在“常用语”页面添加";
      list.appendChild(element("li", "qr-empty", none));
      state.field.removeAttribute("aria-activedescendant");
      return;
    }
    var lastSet = null;
    state.shown.forEach(function (item, index) {
      if (item.set_label !== lastSet) {
        lastSet = item.set_label;
        var group = element("li", "qr-group", item.set_label);
        group.setAttribute("role", "presentation");
        list.appendChild(group);
      }
      var option = element("li", "qr-option");
      option.id = list.id + "-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("data-index", String(index));
      option.appendChild(element("span", "qr-key", "/" + item.title));
      option.appendChild(element("span", "qr-preview", item.expanded));
      option.addEventListener("click", function () { choose(index); });
      list.appendChild(option);
    });
    highlight();
  }

  function highlight() {
    var options = state.list.querySelectorAll(".qr-option");
    options.forEach(function (option, index) {
      var on = index === state.active;
      option.setAttribute("aria-selected", on ? "true" : "false");
      option.classList.toggle("active", on);
      if (on) {
        state.field.setAttribute("aria-activedescendant", option.id);
        if (option.scrollIntoView) option.scrollIntoView({ block: "nearest" });
      }
    });
  }

  function place() {
    var point = caretPoint(state.field, state.start);
    var box = state.box;
    var width = Math.min(420, document.documentElement.clientWidth - 16);
    box.style.width = width + "px";
    var left = Math.min(point.left, window.scrollX + document.documentElement.clientWidth - width - 8);
    box.style.left = Math.max(window.scrollX + 8, left) + "px";
    box.style.top = point.top + 4 + "px";
  }

  function close() {
    if (!state) return;
    var field = state.field;
    if (state.box.parentNode) state.box.parentNode.removeChild(state.box);
    field.setAttribute("aria-expanded", "false");
    field.removeAttribute("aria-activedescendant");
    field.removeAttribute("aria-controls");
    state = null;
  }

  function choose(index) {
    if (!state || !state.shown[index]) return;
    var field = state.field;
    var item = state.shown[index];
    var text = String(item.expanded);
    if (field.tagName === "INPUT") text = text.replace(/\s*\n\s*/g, " ");
    var start = state.start;
    var end = field.selectionStart;
    if (field.maxLength > 0) {
      var room = field.maxLength - (field.value.length - (end - start));
      if (text.length > room) text = text.slice(0, Math.max(room, 0));
    }
    close();
    field.focus();
    field.setSelectionRange(start, end);
    // insertText keeps the browser's undo history and fires "input"; else set the value as text
    var inserted = false;
    inserting = true;
    try {
      inserted = document.execCommand("insertText", false, text);
    } catch (e) {
      inserted = false;
    }
    try {
      if (!inserted || field.value.slice(start, start + text.length) !== text) {
        field.setRangeText(text, start, field.selectionEnd, "end");
        field.dispatchEvent(new Event("input", { bubbles: true }));
      }
    } finally {
      inserting = false;
    }
  }

  function update(field) {
    if (inserting) return; // the input event of our own insertion
    var found = trigger(field);
    if (found) open(field, found);
    else if (state && state.field === field) close();
  }

  // -- events -------------------------------------------------------------------------------------

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches(FIELD)) return;
    prepare(field);
    ensureStyles();
    update(field);
  });

  document.addEventListener("keydown", function (event) {
    if (!state || event.target !== state.field) return;
    if (event.isComposing || event.keyCode === 229) return; // the input method's own keys
    var count = state.shown.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!count) return;
      event.preventDefault();
      state.active = (state.active + (event.key === "ArrowDown" ? 1 : count - 1)) % count;
      highlight();
    } else if (event.key === "Enter" || event.key === "Tab") {
      if (!count || !state.items) {
        if (event.key === "Enter") close();
        return;
      }
      event.preventDefault();
      choose(state.active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  });

  document.addEventListener("click", function (event) {
    if (!state) return;
    if (event.target === state.field) update(state.field);
    else if (!state.box.contains(event.target)) close();
  });

  document.addEventListener("keyup", function (event) {
    if (state && event.target === state.field && (event.key === "ArrowLeft" || event.key === "ArrowRight" || event.key === "Home" || event.key === "End")) {
      update(state.field);
    }
  });

  document.addEventListener(
    "focusout",
    function (event) {
      if (state && event.target === state.field) close();
    },
    true
  );

  window.addEventListener("resize", function () { if (state) place(); });
  document.addEventListener("scroll", function () { if (state) place(); }, true);

  prepareAll(document);
  // content that htmx swaps in later
  document.addEventListener("htmx:afterSettle", function (event) { prepareAll(event.target); });
})();
