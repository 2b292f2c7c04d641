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
      var active = JSON.parse(box.dataset.active || "[]").map(function (id) { return registry.get(id); })
        .filter(function (element) { return element && !element.waypoints; });
      active.forEach(function (element) {
        canvas.addMarker(element.id, element.width > 200 ? "regie-actief-omvat" : "regie-actief");
      });
      // Centre on what a person works on: a user task first, else the smallest (most specific) element.
      active.sort(function (a, b) {
        var user = (b.type === "bpmn:UserTask") - (a.type === "bpmn:UserTask");
        return user || a.width * a.height - b.width * b.height;
      });
      canvas.zoom("fit-viewport", "auto");
      if (canvas.zoom() < 0.7 && active.length) {
        // A large model drawn whole is unreadable: show the current step at a readable size instead.
        var first = active[0], outer = canvas.viewbox().outer, scale = 0.8;
        var width = outer.width / scale, height = outer.height / scale;
        canvas.viewbox({ x: first.x + first.width / 2 - width / 2, y: first.y + first.height / 2 - height / 2,
                         width: width, height: height });
      }
      box.classList.add("geladen");
    })
    .catch(function () {
      if (message) message.textContent = "Het diagram kan niet worden getoond. De stap staat hierboven in woorden.";
    });
})();
