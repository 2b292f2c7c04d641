/* The case page's diagram: bpmn-js's NavigatedViewer (served from static/vendor, no CDN) draws the
   version the case runs on and marks where the case stands now. */
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) return;
  var message = box.querySelector(".diagram-melding");
  var viewer = new window.BpmnJS({ container: box });
  fetch(box.dataset.bpmn, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport", "auto");
      JSON.parse(box.dataset.active || "[]").forEach(function (id) {
        if (registry.get(id)) canvas.addMarker(id, "regie-actief");
      });
      box.classList.add("geladen");
    })
    .catch(function () {
      if (message) message.textContent = "Het diagram kan niet worden getoond. De stap staat hierboven in woorden.";
    });
})();
