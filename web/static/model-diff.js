/* The version comparison: the newer diagram with added elements green and changed ones orange. */
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) return;
  var viewer = new window.BpmnJS({ container: box });
  fetch(box.dataset.bpmn, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
      [["nieuw", "regie-nieuw"], ["anders", "regie-anders"]].forEach(function (pair) {
        JSON.parse(box.dataset[pair[0]] || "[]").forEach(function (id) {
          if (registry.get(id)) canvas.addMarker(id, pair[1]);
        });
      });
      canvas.zoom("fit-viewport", "auto");
      var first = JSON.parse(box.dataset.anders || "[]").concat(JSON.parse(box.dataset.nieuw || "[]"))
        .map(function (id) { return registry.get(id); }).filter(function (e) { return e && !e.waypoints; })[0];
      if (canvas.zoom() < 0.7 && first) {
        // A large model drawn whole is unreadable: show the first change at a readable size instead.
        var outer = canvas.viewbox().outer, scale = 0.8, width = outer.width / scale, height = outer.height / scale;
        canvas.viewbox({ x: first.x + first.width / 2 - width / 2, y: first.y + first.height / 2 - height / 2,
                         width: width, height: height });
      }
      box.classList.add("geladen");
    })
    .catch(function () {
      var message = box.querySelector(".diagram-melding");
      if (message) message.textContent = "Het diagram kan niet worden getoond. De verschillen staan hieronder in woorden.";
    });
})();
