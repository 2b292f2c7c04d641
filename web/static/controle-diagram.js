/* The auditor's time-travel diagram (set up by diagram.js): the version the case ran on, with the elements
   finished so far (green), the sequence flows taken (green arrows) and where the case stood (orange), after
   one event. */
(function () {
  "use strict";
  window.RegieDiagram("Het diagram kan niet worden getoond. Wat er afgerond is staat hierboven in woorden.",
    function (box, canvas, registry) {
      function list(name) { try { return JSON.parse(box.dataset[name] || "[]"); } catch (e) { return []; } }
      function mark(ids, marker) {
        ids.forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, marker); });
      }
      mark(list("finished"), "controle-klaar");
      mark(list("taken"), "controle-genomen");
      mark(list("active"), "regie-actief");
      canvas.zoom("fit-viewport", "auto");
      var active = list("active").map(function (id) { return registry.get(id); })
        .filter(function (element) { return element && !element.waypoints; });
      if (canvas.zoom() < 0.7 && active.length) {
        // A large model drawn whole is unreadable: show where the case stood at a readable size.
        var first = active[0], outer = canvas.viewbox().outer, scale = 0.8;
        var width = outer.width / scale, height = outer.height / scale;
        canvas.viewbox({ x: first.x + first.width / 2 - width / 2, y: first.y + first.height / 2 - height / 2,
                         width: width, height: height });
      }
    });
})();
