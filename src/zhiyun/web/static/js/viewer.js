// A small image viewer (lightbox) for thumbnails: <a href="full.jpg" data-viewer="group"
// data-caption="…"><img …></a>. A click opens a modal <dialog> over the page with the image,
// its caption and its place in the group; ← → (or the buttons) move through the group, Esc
// closes, focus goes back to the thumbnail. Without JavaScript the link opens the image.
// Every text is set as text (textContent), never as markup.
(function () {
  "use strict";
  var dialog = null;
  var image, caption, counter, original, previous, next, close;
  var group = [];
  var index = 0;
  var opener = null;

  function button(label, text, className) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.setAttribute("aria-label", label);
    b.textContent = text;
    return b;
  }

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "viewer";
    dialog.setAttribute("aria-label", "图片查看");
    var figure = document.createElement("figure");
    image = document.createElement("img");
    caption = document.createElement("figcaption");
    figure.appendChild(image);
    figure.appendChild(caption);
    var bar = document.createElement("div");
    bar.className = "viewer-bar";
    previous = button("上一张", "‹ 上一张", "viewer-prev");
    next = button("下一张", "下一张 ›", "viewer-next");
    counter = document.createElement("span");
    counter.className = "viewer-count";
    original = document.createElement("a");
    original.target = "_blank";
    original.rel = "noopener";
    original.textContent = "查看原图";
    close = button("关闭图片查看", "关闭 ✕", "viewer-close");
    [previous, counter, next, original, close].forEach(function (el) { bar.appendChild(el); });
    dialog.appendChild(bar);
    dialog.appendChild(figure);
    previous.addEventListener("click", function () { show(index - 1); });
    next.addEventListener("click", function () { show(index + 1); });
    close.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "ArrowLeft") { event.preventDefault(); show(index - 1); }
      else if (event.key === "ArrowRight") { event.preventDefault(); show(index + 1); }
    });
    // a click on the backdrop (the dialog itself, outside the figure and the bar) closes it
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();
    });
    dialog.addEventListener("close", function () {
      image.removeAttribute("src");
      if (opener && opener.focus) opener.focus();
    });
    document.body.appendChild(dialog);
  }

  function show(i) {
    index = (i + group.length) % group.length;
    var link = group[index];
    var thumb = link.querySelector("img");
    image.src = link.getAttribute("href");
    image.alt = (thumb && thumb.getAttribute("alt")) || "";
    caption.textContent = link.getAttribute("data-caption") || image.alt;
    counter.textContent = (index + 1) + " / " + group.length;
    original.href = link.getAttribute("href");
    previous.disabled = next.disabled = group.length < 2;
    dialog.setAttribute("data-index", String(index));
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-viewer]") : null;
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    var name = link.getAttribute("data-viewer");
    group = Array.prototype.filter.call(document.querySelectorAll("a[data-viewer]"), function (a) {
      return a.getAttribute("data-viewer") === name;
    });
    opener = link;
    if (!dialog) build();
    show(group.indexOf(link));
    if (!dialog.open) dialog.showModal();
    close.focus();
  });
})();
