// 小南 on the citizens' portal: asks POST /api/v1/assistant/ask, shows the answer with its
// source and department, the next closest items, a clarifying question, thumbs up/down, and on
// a hand-over the form that registers a work order (POST /api/v1/assistant/handover). On danger
// it shows the numbers to call first. No inline script (the CSP forbids it); every text is set
// as text (textContent), never as markup.
(function () {
  "use strict";
  var root = document.getElementById("assistant");
  if (!root) { return; }
  var log = root.querySelector("[data-assistant-log]");
  var form = root.querySelector("[data-assistant-ask]");
  var input = form.querySelector("textarea, input[name=question]");
  var handover = root.querySelector("[data-assistant-handover]");
  var status = root.querySelector("[data-assistant-status]");
  var KEY = "zhiyun.assistant.conversation";
  var conversation = null;
  try { conversation = window.sessionStorage.getItem(KEY); } catch (e) { conversation = null; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      credentials: "omit",
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.message || ("请求失败（" + response.status + "）")); }
        return data;
      });
    });
  }

  function say(role, text) {
    var item = el("li", "turn turn-" + role);
    item.setAttribute("data-role", role);
    item.appendChild(el("strong", null, role === "citizen" ? "我" : "小南"));
    item.appendChild(el("div", "pre-wrap", text));
    log.appendChild(item);
    item.scrollIntoView({ block: "nearest" });
    return item;
  }

  function feedback(item, turnId) {
    var bar = el("div", "assistant-feedback small");
    [["有用", true], ["没用", false]].forEach(function (pair) {
      var button = el("button", "link-button", pair[0]);
      button.type = "button";
      button.setAttribute("data-helpful", pair[1] ? "yes" : "no");
      button.addEventListener("click", function () {
        post("/api/v1/assistant/feedback", { conversation_id: conversation, turn_id: turnId, helpful: pair[1] })
          .then(function () { bar.textContent = "谢谢您的评价"; })
          .catch(function (error) { bar.textContent = error.message; });
      });
      bar.appendChild(button);
    });
    item.appendChild(bar);
  }

  function show(reply) {
    var item = say("assistant", reply.text);
    item.setAttribute("data-kind", reply.kind);
    if (reply.kind === "urgent") {
      item.classList.add("alert", "error");
      var calls = el("p", "assistant-calls");
      (reply.numbers || []).forEach(function (number) {
        var link = el("a", "button danger", "拨打 " + number);
        link.href = "tel:" + number;
        calls.appendChild(link);
      });
      item.appendChild(calls);
    }
    if (reply.item) {
      var source = el("p", "small muted", "来源：" + (reply.item.title || "") +
        (reply.item.department ? " · " + reply.item.department : "") +
        (reply.item.source ? " · " + reply.item.source : ""));
      source.setAttribute("data-testid", "assistant-source");
      item.appendChild(source);
      feedback(item, reply.turn_id);
    }
    if (reply.more && reply.more.length && reply.kind !== "handover") {
      var more = el("ul", "small assistant-more");
      reply.more.forEach(function (hit, n) {
        var entry = el("li");
        var ask = el("button", "link-button", (reply.kind === "clarify" ? (n + 1) + ". " : "") + hit.title);
        ask.type = "button";
        ask.addEventListener("click", function () {
          send(reply.kind === "clarify" ? String(n + 1) : hit.title);
        });
        entry.appendChild(ask);
        more.appendChild(entry);
      });
      item.appendChild(el("p", "small muted", reply.kind === "clarify" ? "请选择：" : "您可能还想问："));
      item.appendChild(more);
    }
    if (reply.kind === "handover" || reply.kind === "urgent") {
      handover.hidden = false;
      var map = document.getElementById("assistant-map");
      if (map) { map.dispatchEvent(new Event("zhiyun:shown")); }
      var description = handover.querySelector("[name=description]");
      if (description && !description.value) { description.value = lastQuestion; }
    }
  }

  var lastQuestion = "";
  function send(text) {
    lastQuestion = text;
    say("citizen", text);
    status.textContent = "小南正在思考…";
    return post("/api/v1/assistant/ask", { question: text, conversation_id: conversation })
      .then(function (reply) {
        conversation = reply.conversation_id;
        try { window.sessionStorage.setItem(KEY, conversation); } catch (e) { /* private mode */ }
        status.textContent = "";
        show(reply);
      })
      .catch(function (error) { status.textContent = error.message; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = (input.value || "").trim();
    if (!text) { status.textContent = "请输入您的问题"; return; }
    input.value = "";
    send(text);
  });

  root.querySelectorAll("[data-assistant-person]").forEach(function (button) {
    button.addEventListener("click", function () { send("转人工"); });
  });

  handover.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = new FormData(handover);
    var body = { conversation_id: conversation };
    ["name", "phone", "address", "description", "category_code"].forEach(function (name) {
      var value = data.get(name);
      if (value !== null && String(value).trim() !== "") { body[name] = String(value).trim(); }
    });
    ["latitude", "longitude"].forEach(function (name) {
      var value = data.get(name);
      if (value !== null && String(value) !== "") { body[name] = parseFloat(value); }
    });
    var result = handover.querySelector("[data-handover-result]");
    result.textContent = "正在提交…";
    post("/api/v1/assistant/handover", body)
      .then(function (done) {
        result.textContent = "已登记工单 " + done.order_number + "，请记下工单号，可在“查询进度”中查看办理情况。";
        result.setAttribute("data-order-number", done.order_number);
        say("assistant", "已为您登记工单 " + done.order_number + "，工作人员会尽快联系您。");
      })
      .catch(function (error) { result.textContent = error.message; });
  });
})();
