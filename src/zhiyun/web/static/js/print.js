// 打印: a <button data-print> prints the page with the print stylesheet (static/css/print.css).
// A file of its own because the Content-Security-Policy runs no inline handler.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (!button) return;
    event.preventDefault();
    window.print();
  });
})();
