// The printable view: today's date as the page's language writes it (the month names and the
// form of a date come from the page: data-months and data-date on this script's tag), this
// page's address, a print button.
(function () {
  "use strict";
  var script = document.currentScript;
  var months = JSON.parse(script.getAttribute("data-months"));
  var d = new Date();
  var values = {day: d.getDate(), month: months[d.getMonth()], year: d.getFullYear(),
                be_year: d.getFullYear() + 543};
  var date = script.getAttribute("data-date").replace(/%\((\w+)\)s/g, function (m, name) {
    return values[name];
  });
  document.querySelectorAll("[data-print-date]").forEach(function (el) { el.textContent = date; });
  // Without a public address in site.yaml, say where the indicator's page is as opened now.
  document.querySelectorAll("[data-page-url]").forEach(function (el) {
    el.textContent = decodeURI(new URL(el.getAttribute("data-page-url"), location.href).href);
  });
  document.querySelectorAll("[data-print]").forEach(function (el) {
    el.addEventListener("click", function () { window.print(); });
  });
})();
