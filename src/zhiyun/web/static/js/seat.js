// The call-taking seat (/orders/new): keyboard shortcuts for the outcome, taking a
// suggestion into the form, and the call's notes carried into a repeat-call record.
// No inline script (the CSP forbids it); values are set as values, never as markup.
(function () {
  "use strict";
  var form = document.getElementById("call-form");
  if (!form) { return; }

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) { return; }
    var button = form.querySelector('button[data-hotkey="' + event.key + '"]');
    if (button) {
      event.preventDefault();
      button.click();
    }
  });

  function choose(select, value) {
    if (!select || !value) { return false; }
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) {
        select.value = value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
        return true;
      }
    }
    return false;
  }

  // 一键秒回: a knowledge item's answer into the reply (as a value, never as markup), the item
  // remembered with the call; with data-resolve the call is ended 即时办结 at once
  document.addEventListener("click", function (event) {
    var use = event.target.closest ? event.target.closest("[data-use-answer]") : null;
    if (!use) { return; }
    var reply = document.getElementById("reply");
    var item = document.getElementById("knowledge_item_id");
    if (!reply) { return; }
    reply.value = use.getAttribute("data-use-answer") || "";
    if (item) { item.value = use.getAttribute("data-item-id") || ""; }
    reply.dispatchEvent(new Event("input", { bubbles: true }));
    if (use.hasAttribute("data-resolve")) {
      var resolve = form.querySelector('button[data-testid="outcome-resolve"]');
      if (resolve) { resolve.click(); }
    } else {
      reply.focus();
    }
  });

  document.addEventListener("click", function (event) {
    var use = event.target.closest ? event.target.closest("[data-use-category]") : null;
    if (!use) { return; }
    choose(document.getElementById("category_code"), use.getAttribute("data-use-category"));
    choose(document.getElementById("target_unit_id"), use.getAttribute("data-use-unit"));
    var reply = document.getElementById("reply");
    if (reply) { reply.focus(); }
  });

  document.addEventListener("submit", function (event) {
    var target = event.target;
    if (!target.classList || !target.classList.contains("repeat-call")) { return; }
    var note = target.querySelector("[data-note-from]");
    if (note) {
      var source = document.querySelector(note.getAttribute("data-note-from"));
      if (source) { note.value = source.value; }
    }
  }, true);
})();
