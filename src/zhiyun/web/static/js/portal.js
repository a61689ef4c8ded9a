// The citizens' portal (/portal): tells the citizen at once when the photos chosen are too many
// or too large (the server checks the same limits). Names are shown as text, never as HTML.
(function () {
  "use strict";
  var input = document.getElementById("photos");
  var note = document.getElementById("photo-note");
  if (!input || !note) return;
  var max = parseInt(input.getAttribute("data-max"), 10) || 6;
  var maxMb = parseFloat(input.getAttribute("data-max-mb")) || 5;
  var totalMb = parseFloat(input.getAttribute("data-total-mb")) || 15;
  input.addEventListener("change", function () {
    var files = Array.prototype.slice.call(input.files || []);
    var total = 0, problem = "";
    files.forEach(function (f, i) {
      total += f.size;
      if (!problem && f.size > maxMb * 1024 * 1024) problem = "第 " + (i + 1) + " 张照片超过 " + maxMb + " MB";
    });
    if (!problem && files.length > max) problem = "最多上传 " + max + " 张照片";
    if (!problem && total > totalMb * 1024 * 1024) problem = "照片合计超过 " + totalMb + " MB";
    note.textContent = problem ? problem + "，请重新选择。" : (files.length ? "已选择 " + files.length + " 张照片。" : "");
    note.className = problem ? "field-error" : "muted";
    input.setCustomValidity(problem);
  });
})();
