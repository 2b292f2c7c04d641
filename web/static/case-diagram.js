/* The case page's diagram (set up by diagram.js): the version the case runs on, fitted in its frame, with
   the current step (orange), the completed steps and the path taken (green), and zoom and pan buttons (the
   mouse and keyboard work too). The model version page uses it too, without steps. */
(function () {
  "use strict";
  var STEP = 120;

  function ids(box, name) { return new Set(JSON.parse(box.dataset[name] || "[]")); }

  /* Which elements the case passed: the completed user tasks, and every other element (gateway, event,
     script task) that lies on a path from a completed element to a completed or current one. User tasks
     are only passed when the engine says so. Returns the set of passed element ids. */
  function passed(registry, done, active) {
    var nodes = registry.filter(function (e) { return !e.waypoints && e.type !== "label" && e.businessObject; });
    var isTask = function (e) { return e.type === "bpmn:UserTask"; };
    var out = function (e) { return (e.outgoing || []).map(function (c) { return c.target; }); };
    var inc = function (e) { return (e.incoming || []).map(function (c) { return c.source; }); };
    function walk(seeds, next, extra) {
      var seen = new Set(), todo = seeds.slice();
      while (todo.length) {
        var e = todo.pop();
        next(e).concat(extra(e)).forEach(function (n) {
          if (!n || seen.has(n.id) || done.has(n.id) || active.has(n.id) || isTask(n)) return;
          seen.add(n.id); todo.push(n);
        });
      }
      return seen;
    }
    var hosts = function (e) {   // a boundary event follows from the step it is attached to
      return nodes.filter(function (n) { return n.host && n.host.id === e.id; });
    };
    var seeds = nodes.filter(function (e) { return done.has(e.id); });
    var ends = nodes.filter(function (e) { return done.has(e.id) || active.has(e.id); });
    var forward = walk(seeds.concat(nodes.filter(function (e) { return active.has(e.id); })), out, hosts);
    var backward = walk(ends, inc, function (e) { return e.host ? [e.host] : []; });
    var result = new Set(done);
    nodes.forEach(function (e) {
      var start = e.type === "bpmn:StartEvent" && !(e.incoming || []).length;
      if (backward.has(e.id) && (forward.has(e.id) || start)) result.add(e.id);
    });
    return result;
  }

  function focusOn(canvas, element) {
    var outer = canvas.viewbox().outer, scale = Math.max(canvas.zoom(), 0.8);
    var width = outer.width / scale, height = outer.height / scale;
    canvas.viewbox({ x: element.x + element.width / 2 - width / 2, y: element.y + element.height / 2 - height / 2,
                     width: width, height: height });
  }

  window.RegieDiagram("Het diagram kan niet worden getoond. De stap staat hierboven in woorden.",
    function (box, canvas, registry) {
      var tools = document.querySelector(".diagram-knoppen");
      var done = ids(box, "done"), activeIds = ids(box, "active");
      var path = passed(registry, done, activeIds);
      path.forEach(function (id) {
        var element = registry.get(id);
        if (element && !activeIds.has(id)) canvas.addMarker(id, "regie-afgerond");
      });
      registry.filter(function (e) { return e.waypoints; }).forEach(function (flow) {
        if (flow.source && flow.target && path.has(flow.source.id) &&
            (path.has(flow.target.id) || activeIds.has(flow.target.id))) canvas.addMarker(flow.id, "regie-gevolgd");
      });
      var active = Array.from(activeIds).map(function (id) { return registry.get(id); })
        .filter(function (element) { return element && !element.waypoints; });
      active.forEach(function (element) {
        canvas.addMarker(element.id, element.width > 200 ? "regie-actief-omvat" : "regie-actief");
      });
      // The step a person works on: a user task first, else the smallest (most specific) element.
      active.sort(function (a, b) {
        var user = (b.type === "bpmn:UserTask") - (a.type === "bpmn:UserTask");
        return user || a.width * a.height - b.width * b.height;
      });
      canvas.zoom("fit-viewport", "auto");
      if (!tools) return;
      tools.hidden = false;
      var actions = {
        "in": function () { canvas.zoom(canvas.zoom() * 1.25); },
        "uit": function () { canvas.zoom(canvas.zoom() / 1.25); },
        "passend": function () { canvas.zoom("fit-viewport", "auto"); },
        "stap": function () { if (active.length) focusOn(canvas, active[0]); },
        "links": function () { canvas.scroll({ dx: STEP, dy: 0 }); },
        "rechts": function () { canvas.scroll({ dx: -STEP, dy: 0 }); },
        "omhoog": function () { canvas.scroll({ dx: 0, dy: STEP }); },
        "omlaag": function () { canvas.scroll({ dx: 0, dy: -STEP }); }
      };
      tools.addEventListener("click", function (event) {
        var button = event.target.closest("[data-diagram]");
        if (button && actions[button.dataset.diagram]) actions[button.dataset.diagram]();
      });
    });
})();
