/* The policy staff's modeler: bpmn-js Modeler (served from static/vendor, no CDN) with the Camunda
   moddle extension, a small properties form for what Regie reads, validation markers from the engine
   as the user types, and a server-side draft per user. */
(function () {
  "use strict";
  var root = document.getElementById("modeler");
  if (!root || !(window.BpmnJS || window.RegieModeler)) return;
  var canvasBox = document.getElementById("canvas");
  var token = document.querySelector("#uitrollen input[name=csrf_token]").value;
  var status = document.getElementById("concept-status");
  var summary = document.getElementById("controle-samenvatting");
  var list = document.getElementById("controle-lijst");
  var form = document.getElementById("eigenschappen");
  var fileName = root.dataset.file;
  var modeler, selected = null, checkTimer = null, saveTimer = null, marked = [];

  function send(method, url, body) {
    return fetch(url, { method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: body ? JSON.stringify(body) : undefined })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }
  function xml() { return modeler.saveXML({ format: true }).then(function (r) { return r.xml; }); }
  function files(text) { var f = {}; f[fileName] = text; return f; }

  // --- validation markers -----------------------------------------------------------------------
  function check() {
    return xml().then(function (text) { return send("POST", root.dataset.check, { files: files(text) }); })
      .then(showMarkers)
      .catch(function () { summary.textContent = "Controleren lukte niet. Probeer het zo opnieuw."; });
  }
  function showMarkers(result) {
    var canvas = modeler.get("canvas"), registry = modeler.get("elementRegistry"), overlays = modeler.get("overlays");
    marked.forEach(function (m) { canvas.removeMarker(m[0], m[1]); });
    marked = [];
    overlays.remove({ type: "regie-marker" });
    list.innerHTML = "";
    var count = {};
    result.markers.forEach(function (m) {
      var cls = m.severity === "error" ? "regie-fout" : "regie-waarschuwing";
      var element = m.element && registry.get(m.element);
      if (element) {
        canvas.addMarker(m.element, cls);
        marked.push([m.element, cls]);
        count[m.element] = (count[m.element] || 0) + 1;
        if (count[m.element] === 1) {
          overlays.add(m.element, "regie-marker", { position: { top: -12, right: 12 },
            html: '<span class="marker-teken' + (m.severity === "error" ? "" : " waarschuwing") + '" title="' +
              escapeHtml(m.message) + '">!</span>' });
        }
      }
      var li = document.createElement("li");
      li.className = m.severity === "error" ? "fout" : "waarschuwing";
      li.dataset.element = m.element;
      var where = document.createElement(element ? "button" : "span");
      where.textContent = (m.severity === "error" ? "Fout" : "Let op") + (m.element ? " bij " + m.element : "") +
        (m.line ? " (regel " + m.line + ")" : "") + ": ";
      if (element) {
        where.type = "button";
        where.className = "naar-element";
        where.addEventListener("click", function () { modeler.get("selection").select(element); canvas.scrollToElement(element); });
      }
      li.appendChild(where);
      li.appendChild(document.createTextNode(m.message));
      list.appendChild(li);
    });
    var errors = plural(result.errors, "fout", "fouten"), warnings = plural(result.warnings, "waarschuwing", "waarschuwingen");
    summary.textContent = result.errors
      ? errors + (result.warnings ? " en " + warnings : "") + ". Haal de fouten weg voordat u uitrolt."
      : result.warnings ? warnings + ". U kunt uitrollen, maar lees ze eerst." : "Geen problemen gevonden.";
    summary.dataset.errors = result.errors;
  }
  function plural(n, one, more) { return n + " " + (n === 1 ? one : more); }
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // --- draft ------------------------------------------------------------------------------------
  function saveDraft() {
    return xml().then(function (text) {
      return send("PUT", root.dataset.draft, { files: files(text), note: document.getElementById("toelichting").value });
    }).then(function (r) { status.textContent = r.message; });
  }
  document.getElementById("concept-opslaan").addEventListener("click", saveDraft);
  document.getElementById("uitrollen").addEventListener("submit", function (event) {
    event.preventDefault();
    var target = event.target;
    if (!document.getElementById("toelichting").value.trim()) { document.getElementById("toelichting").focus(); return; }
    saveDraft().then(function () { HTMLFormElement.prototype.submit.call(target); });
  });

  // --- properties ---------------------------------------------------------------------------------
  function isTimer(bo) {
    return (bo.eventDefinitions || []).some(function (d) { return d.$type === "bpmn:TimerEventDefinition"; });
  }
  function timerValue(bo) {
    var def = (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0];
    var expr = def && (def.timeDuration || def.timeCycle || def.timeDate);
    return expr ? expr.body : "";
  }
  function lanes() {
    return modeler.get("elementRegistry").filter(function (e) { return e.type === "bpmn:Lane"; });
  }
  function laneOf(element) {
    return lanes().filter(function (l) {
      var cx = element.x + element.width / 2, cy = element.y + element.height / 2;
      return cx >= l.x && cx <= l.x + l.width && cy >= l.y && cy <= l.y + l.height;
    })[0];
  }
  function showProperties(element) {
    selected = element && element.type !== "bpmn:Process" && element.type !== "bpmn:Collaboration" ? element : null;
    document.getElementById("geen-selectie").hidden = !!selected;
    form.hidden = !selected;
    if (!selected) return;
    var bo = selected.businessObject;
    document.getElementById("element-soort").textContent = selected.type.replace("bpmn:", "") + " · " + selected.id;
    form.querySelectorAll("[data-voor]").forEach(function (group) {
      var kind = group.dataset.voor;
      group.hidden = !(kind === selected.type || (kind === "timer" && isTimer(bo)));
    });
    form.querySelectorAll("[data-prop]").forEach(function (input) { input.value = bo.get(input.dataset.prop) || ""; });
    document.getElementById("e-voorwaarde").value = bo.conditionExpression ? bo.conditionExpression.body || "" : "";
    document.getElementById("e-timer").value = isTimer(bo) ? timerValue(bo) : "";
    var laneSelect = document.getElementById("e-baan");
    laneSelect.innerHTML = "";
    lanes().forEach(function (l) {
      var o = document.createElement("option");
      o.value = l.id; o.textContent = l.businessObject.name || l.id;
      laneSelect.appendChild(o);
    });
    var current = laneOf(selected);
    if (current) laneSelect.value = current.id;
  }
  form.addEventListener("change", function (event) {
    if (!selected) return;
    var input = event.target, modeling = modeler.get("modeling"), factory = modeler.get("bpmnFactory");
    var bo = selected.businessObject, props = {};
    if (input.dataset.prop) {
      props[input.dataset.prop] = input.value.trim() || undefined;
      modeling.updateProperties(selected, props);
    } else if (input.hasAttribute("data-condition")) {
      modeling.updateProperties(selected, { conditionExpression: input.value.trim()
        ? factory.create("bpmn:FormalExpression", { body: input.value.trim() }) : undefined });
    } else if (input.hasAttribute("data-timer")) {
      var def = bo.eventDefinitions.filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0];
      var kind = /^R/.test(input.value.trim()) ? "timeCycle" : /^P/.test(input.value.trim()) ? "timeDuration" : "timeDate";
      var update = { timeDuration: undefined, timeCycle: undefined, timeDate: undefined };
      update[kind] = factory.create("bpmn:FormalExpression", { body: input.value.trim() });
      modeling.updateModdleProperties(selected, def, update);
    } else if (input.hasAttribute("data-lane")) {
      var lane = modeler.get("elementRegistry").get(input.value);
      if (lane) {
        var dy = lane.y + lane.height / 2 - (selected.y + selected.height / 2);
        modeling.moveElements([selected], { x: 0, y: dy }, lane);
      }
    }
  });

  // --- start ------------------------------------------------------------------------------------
  fetch(root.dataset.moddle).then(function (r) { return r.json(); }).then(function (camunda) {
    // The bundle with bpmn-js-properties-panel when `make assets` built it; else the plain modeler.
    var panel = document.getElementById("camunda-paneel");
    modeler = window.RegieModeler && panel
      ? window.RegieModeler.create({ container: canvasBox, propertiesPanel: { parent: panel } })
      : new window.BpmnJS({ container: canvasBox, moddleExtensions: { camunda: camunda } });
    if (panel && !window.RegieModeler) panel.closest("details").hidden = true;
    return Promise.all([
      fetch(root.dataset.bpmn, { credentials: "same-origin" }).then(function (r) { return r.text(); }),
      send("GET", root.dataset.draft),
    ]);
  }).then(function (loaded) {
    var draft = loaded[1], text = (draft.files || {})[fileName] || loaded[0];
    if (draft.files && draft.files[fileName]) {
      status.textContent = "U werkt verder aan uw concept (opgeslagen " + new Date(draft.saved_at).toLocaleString("nl-NL") + ").";
      document.getElementById("toelichting").value = draft.note || "";
    }
    return modeler.importXML(text);
  }).then(function () {
    canvasBox.classList.add("geladen");
    modeler.get("canvas").zoom("fit-viewport");
    modeler.on("selection.changed", function (e) { showProperties(e.newSelection[0]); });
    modeler.on("element.changed", function (e) { if (selected && e.element === selected) showProperties(selected); });
    modeler.on("commandStack.changed", function () {
      clearTimeout(checkTimer); clearTimeout(saveTimer);
      summary.textContent = "Controleren…";
      checkTimer = setTimeout(check, 400);
      saveTimer = setTimeout(saveDraft, 3000);
    });
    window.regieModeler = modeler;   // for the browser tests and the console
    root.dataset.klaar = "1";
    return check();
  }).catch(function (err) {
    canvasBox.querySelector(".diagram-melding").textContent = "De editor kon het model niet laden (" + err.message + ").";
  });
})();
