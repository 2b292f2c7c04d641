/* Decision tables in dmn-js (served from static/vendor): edit, check with the engine, keep in the draft. */
(function () {
  "use strict";
  var root = document.getElementById("tabel-editor");
  if (!root || !window.DmnJS) return;
  var token = document.querySelector("#tabel-form input[name=csrf_token]").value;
  var status = document.getElementById("tabel-status"), list = document.getElementById("tabel-problemen");
  var box = document.getElementById("tabel"), editor = new window.DmnJS({ container: box });
  function send(method, url, body) {
    return fetch(url, { method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token }, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }
  Promise.all([fetch(root.dataset.xml, { credentials: "same-origin" }).then(function (r) { return r.text(); }),
               send("GET", root.dataset.draft)])
    .then(function (loaded) { return editor.importXML((loaded[1].files || {})[root.dataset.file] || loaded[0]); })
    .then(function () {
      var table = editor.getViews().filter(function (v) { return v.type === "decisionTable"; })[0];
      if (table) return editor.open(table);
    })
    .then(function () { var m = box.querySelector(".diagram-melding"); if (m) m.remove(); window.regieDmn = editor; })
    .catch(function (err) { status.textContent = "De tabel kon niet worden geladen (" + err.message + ")."; });
  document.getElementById("tabel-opslaan").addEventListener("click", function () {
    editor.saveXML({ format: true }).then(function (result) {
      var files = {}; files[root.dataset.file] = result.xml;
      return Promise.all([send("POST", root.dataset.check, { files: files }), send("PUT", root.dataset.draft, { files: files })]);
    }).then(function (answers) {
      list.innerHTML = "";
      answers[0].markers.filter(function (m) { return m.severity === "error"; }).forEach(function (m) {
        var li = document.createElement("li"); li.className = "fout";
        li.textContent = (m.element ? m.element + ": " : "") + m.message; list.appendChild(li);
      });
      status.textContent = answers[1].message + (answers[0].errors ? " Let op: er zijn fouten, zie Controle." : " Geen fouten.");
    }).catch(function () { status.textContent = "Opslaan lukte niet. Probeer het opnieuw."; });
  });
})();
