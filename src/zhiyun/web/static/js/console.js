// The console's small helpers (no build step). htmx sends the CSRF header from <body hx-headers>.
(function () {
  "use strict";
  // "select all" boxes for bulk actions: <input type="checkbox" data-check-all="name">
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-check-all]")) return;
    var name = box.getAttribute("data-check-all");
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (b) {
      b.checked = box.checked;
    });
  });
  // a select that submits its form when changed: <select data-autosubmit> (no inline handlers:
  // the Content-Security-Policy runs no inline script)
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) field.form.submit();
  });
  // an action's form opens from its button: <button data-toggle="id">
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-toggle]") : null;
    if (!button) return;
    var target = document.getElementById(button.getAttribute("data-toggle"));
    if (!target) return;
    var open = target.hasAttribute("hidden");
    document.querySelectorAll(".action-form").forEach(function (f) { f.setAttribute("hidden", ""); });
    if (open) {
      target.removeAttribute("hidden");
      var first = target.querySelector("input:not([type=hidden]), select, textarea, button");
      if (first) first.focus();
    }
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
