/* The YAML form editor: the preview is rendered by the server with the caseworkers' own widgets. */
(function () {
  "use strict";
  var root = document.getElementById("formulier-editor");
  if (!root) return;
  var area = document.getElementById("yaml"), token = document.getElementById("csrf").value;
  var preview = document.getElementById("voorbeeld"), problems = document.getElementById("formulier-problemen");
  var status = document.getElementById("formulier-status"), timer = null;
  function send(method, url, body) {
    return fetch(url, { method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token }, body: JSON.stringify(body) })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }
  function refresh() {
    send("POST", root.dataset.preview, { yaml: area.value }).then(function (result) {
      problems.innerHTML = "";
      result.problems.forEach(function (p) {
        var li = document.createElement("li"); li.className = "fout"; li.textContent = p; problems.appendChild(li);
      });
      if (result.html !== null) preview.innerHTML = result.html;   // rendered from Regie's own templates, escaped
    }).catch(function () { status.textContent = "Het voorbeeld kon niet worden bijgewerkt."; });
  }
  area.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 300); });
  document.getElementById("formulier-opslaan").addEventListener("click", function () {
    var files = {}; files[root.dataset.file] = area.value;
    send("PUT", root.dataset.draft, { files: files }).then(function (r) { status.textContent = r.message; });
  });
})();
