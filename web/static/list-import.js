/* The Belastingdienst list import (/overzicht/lijst): while a long list is read, a progress bar.
   Without this script the form posts as usual and the page comes back with the report. With it, the same
   post asks for progress (X-Regie-Voortgang: 1) and reads the answer line by line: {"klaar", "totaal"}
   while it works, then {"html"} (the report) or {"fout"} (the message). The bar is a labelled <progress>;
   a polite status line says how far it is every tenth part, so a screen reader is not flooded; at the
   end the focus moves to the report's heading (or the error). */
(function () {
  "use strict";
  var form = document.getElementById("lijst-formulier");
  if (!form || !window.fetch || !window.TextDecoder || !window.FormData) return;
  var box = document.getElementById("lijst-voortgang");
  var bar = document.getElementById("lijst-voortgang-balk");
  var status = document.getElementById("lijst-voortgang-tekst");
  var report = document.getElementById("lijst-verslag");
  var errors = document.getElementById("lijst-fout");
  var button = form.querySelector('button[type="submit"]');

  function fail(message) {
    errors.innerHTML = "";
    var p = document.createElement("p");
    p.className = "melding melding-error";
    p.setAttribute("role", "alert");
    p.setAttribute("tabindex", "-1");
    p.textContent = message;
    errors.appendChild(p);
    p.focus();
  }

  function handle(line, said) {
    var data = JSON.parse(line);
    if ("klaar" in data) {
      bar.max = data.totaal || 1;
      bar.value = data.klaar;
      bar.textContent = data.klaar + " van " + data.totaal;
      var tenth = Math.floor((10 * data.klaar) / (data.totaal || 1));
      if (tenth !== said.tenth) {
        said.tenth = tenth;
        status.textContent = data.klaar + " van de " + data.totaal + " regels verwerkt.";
      }
    } else if ("html" in data) {
      status.textContent = "Klaar. Het verslag staat hieronder.";
      report.innerHTML = data.html;
      var heading = document.getElementById("kop-verslag");
      if (heading) heading.focus();
    } else if ("fout" in data) {
      status.textContent = "Er is niets ingelezen.";
      fail(data.fout);
    }
  }

  form.addEventListener("submit", function (event) {
    if (!form.checkValidity()) return;
    event.preventDefault();
    errors.innerHTML = "";
    report.innerHTML = "";
    box.hidden = false;
    bar.removeAttribute("value");          // indeterminate until the first line arrives
    status.textContent = "Het bestand wordt gelezen en gecontroleerd.";
    button.disabled = true;
    var said = { tenth: -1 };
    var buffer = "";
    var decoder = new TextDecoder();
    fetch(form.action || window.location.href, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "X-Regie-Voortgang": "1" }
    }).then(function (response) {
      var reader = response.body.getReader();
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) {
            if (buffer.trim()) handle(buffer, said);
            return;
          }
          buffer += decoder.decode(chunk.value, { stream: true });
          var lines = buffer.split("\n");
          buffer = lines.pop();
          lines.forEach(function (line) { if (line.trim()) handle(line, said); });
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      fail("De verbinding viel weg. Kijk bij Zaken of de ouders er staan, of lees het bestand opnieuw in: "
           + "ouders die al een zaak hebben, krijgen geen tweede.");
    }).then(function () {
      button.disabled = false;
    });
  });
})();
