/* The case page's timeline: "Oudere gebeurtenissen tonen" loads the next page under the list instead of
   opening a new page. Without JS the button is a plain link to the case page with the older events. */
(function () {
  "use strict";

  var list = document.getElementById("tijdlijn-lijst");
  var status = document.getElementById("tijdlijn-status");
  if (!list || !window.fetch) return;

  function load(link) {
    link.setAttribute("aria-disabled", "true");
    fetch(link.dataset.laad, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html;
        var items = holder.content.querySelectorAll("ol > li");
        var first = null;
        Array.prototype.forEach.call(items, function (item) {
          list.appendChild(item);
          first = first || item;
        });
        var more = holder.content.getElementById("tijdlijn-meer");
        var old = document.getElementById("tijdlijn-meer");
        if (more && old) old.replaceWith(more);
        status.textContent = items.length ? items.length + " oudere gebeurtenissen geladen." : "Er zijn geen oudere gebeurtenissen.";
        if (first) {
          first.setAttribute("tabindex", "-1");
          first.focus();
        }
      })
      .catch(function () {
        window.location.href = link.href;        // fall back to the plain link
      });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("#tijdlijn-meer a[data-laad]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    if (link.getAttribute("aria-disabled") !== "true") load(link);
  });
})();
