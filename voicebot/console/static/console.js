// The console's progressive enhancement. Every page works without it; with it: htmx requests carry the
// CSRF token, editor problems move the caret to their line, uploads show progress, Mermaid draws graphs.
(function () {
  "use strict";
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = csrf();
  });
  function drawGraphs() {
    if (window.mermaid) {
      window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral" });
      window.mermaid.run({ querySelector: "pre.mermaid:not([data-processed])" });
    }
  }
  document.addEventListener("DOMContentLoaded", drawGraphs);
  document.addEventListener("htmx:afterSwap", drawGraphs);
  // A problem "scenario.yaml:LINE:COL: message": select that line in the editor.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button.goto");
    if (!b) return;
    var area = document.getElementById("scenario");
    if (!area) return;
    var line = parseInt(b.dataset.line, 10) || 1, col = parseInt(b.dataset.col, 10) || 1;
    var lines = area.value.split("\n"), start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    var pos = start + Math.max(0, col - 1), end = start + (lines[line - 1] || "").length;
    area.focus();
    area.setSelectionRange(pos, Math.max(pos, end));
    var lineHeight = area.scrollHeight / Math.max(1, lines.length);
    area.scrollTop = Math.max(0, (line - 3) * lineHeight);
  });
  // Upload with progress: the same multipart POST, sent with XMLHttpRequest to report progress.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.id !== "upload-form" || !window.FormData) return;
    e.preventDefault();
    var bar = document.getElementById("upload-progress");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRF-Token", csrf());
    bar.hidden = false;
    xhr.upload.onprogress = function (p) { if (p.lengthComputable) bar.value = (100 * p.loaded) / p.total; };
    xhr.onload = function () {
      if (xhr.status >= 200 && xhr.status < 400) { window.location.href = xhr.responseURL || form.action; }
      else { document.open(); document.write(xhr.responseText); document.close(); }
    };
    xhr.send(new FormData(form));
  });
  // The try-it input is cleared and focused after each message.
  document.addEventListener("htmx:afterSwap", function () {
    var i = document.getElementById("say-text");
    if (i) { i.value = ""; i.focus(); }
  });
})();
