/* Regie: a little vanilla JS. Everything works without it; it only shows and hides conditional fields
   as you type, and moves the focus to the error summary after a failed submit. */
(function () {
  "use strict";

  function valueOf(form, name, type) {
    var block = form.querySelector('[data-veld="' + name + '"]');
    if (block && block.hidden) return undefined;
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    if (!inputs.length) return undefined;
    var first = inputs[0];
    var value;
    if (first.type === "checkbox") {
      value = Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
    } else if (first.type === "radio") {
      var checked = Array.prototype.find.call(inputs, function (i) { return i.checked; });
      value = checked ? checked.value : undefined;
    } else {
      value = first.value.trim();
    }
    if (type === "yesno" && value !== undefined) return value === "ja" ? true : value === "nee" ? false : undefined;
    if ((type === "number" || type === "integer") && value) {
      var n = Number(value.replace(/\./g, "").replace(",", "."));
      return isNaN(n) ? value : n;
    }
    return value;
  }

  function holds(when, value) {
    if ("equals" in when) return value === when.equals;
    if ("in" in when) return when.in.indexOf(value) !== -1;
    if ("contains" in when) return Array.isArray(value) && value.indexOf(when.contains) !== -1;
    return !(value === undefined || value === null || value === "" || value === false ||
             (Array.isArray(value) && value.length === 0));
  }

  function refresh(form) {
    var blocks = form.querySelectorAll("[data-veld]");
    var types = {};
    Array.prototype.forEach.call(blocks, function (b) { types[b.dataset.veld] = b.dataset.type; });
    Array.prototype.forEach.call(blocks, function (block) {   // in form order, so chains resolve
      if (!block.dataset.when) return;
      var when = JSON.parse(block.dataset.when);
      block.hidden = !holds(when, valueOf(form, when.field, types[when.field]));
    });
    form.querySelectorAll("fieldset.sectie").forEach(function (section) {   // a heading over nothing confuses
      section.hidden = !section.querySelector("[data-veld]:not([hidden])");
    });
  }

  document.querySelectorAll("form").forEach(function (form) {
    if (!form.querySelector("[data-when]")) return;
    form.addEventListener("input", function () { refresh(form); });
    form.addEventListener("change", function () { refresh(form); });
    refresh(form);
  });

  var summary = document.getElementById("foutoverzicht");
  if (summary) summary.focus();
})();
