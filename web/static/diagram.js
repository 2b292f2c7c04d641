/* The diagram set-up the case page, the model version page and the auditor's time-travel page share:
   bpmn-js's NavigatedViewer (served from static/vendor, no CDN) in the #diagram frame, the BPMN file fetched
   from the frame's data-bpmn address, then the page's own drawing; on any failure the frame says so in
   words (failText). Loaded before the page's script (both deferred, so in order). */
window.RegieDiagram = function (failText, draw) {
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
      draw(box, viewer.get("canvas"), viewer.get("elementRegistry"));
      box.classList.add("geladen");
    })
    .catch(function () {
      if (message) message.textContent = failText;
    });
};
