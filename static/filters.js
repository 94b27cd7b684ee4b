// Filters for lists of indicators: built from the rows' data-* attributes, so the lists stay
// plain HTML tables that read fine with JavaScript off.
// The words come from the page (data-words on this script's tag), in the page's language.
(function () {
  "use strict";
  var W = JSON.parse(document.currentScript.getAttribute("data-words"));
  var tables = document.querySelectorAll("table.indicators");
  if (!tables.length) { return; }
  var rows = [];
  tables.forEach(function (t) { t.querySelectorAll("tbody tr").forEach(function (r) { rows.push(r); }); });
  var KEYS = [["year", W.fiscalYear], ["agency", W.agency], ["type", W.type], ["status", W.status]];
  var chosen = {};
  var bar = document.createElement("div");
  bar.className = "filters";
  bar.setAttribute("role", "group");
  bar.setAttribute("aria-label", W.filterList);
  var count = document.createElement("p");
  count.setAttribute("role", "status");

  function apply() {
    var shown = 0;
    rows.forEach(function (r) {
      var ok = KEYS.every(function (k) { return !chosen[k[0]] || r.dataset[k[0]] === chosen[k[0]]; });
      r.hidden = !ok;
      if (ok) { shown++; }
    });
    tables.forEach(function (t) {
      var any = t.querySelector("tbody tr:not([hidden])");
      t.closest(".table-scroll").hidden = !any;
    });
    count.textContent = W.showing.replace("%(shown)s", shown).replace("%(count)s", rows.length);
  }

  KEYS.forEach(function (k) {
    var values = {};
    rows.forEach(function (r) { values[r.dataset[k[0]]] = r.dataset[k[0] + "Label"] || r.dataset[k[0]]; });
    var keys = Object.keys(values);
    if (keys.length < 2) { return; }
    keys.sort();
    if (k[0] === "year") {  // newest first; 'no year' last
      keys.sort(function (a, b) { return /^\d/.test(b) - /^\d/.test(a) || (a < b ? 1 : -1); });
    }
    var label = document.createElement("label");
    label.className = "filter";
    label.appendChild(document.createTextNode(k[1] + " "));
    var select = document.createElement("select");
    select.appendChild(new Option(W.all, ""));
    keys.forEach(function (v) { select.appendChild(new Option(values[v], v)); });
    select.addEventListener("change", function () { chosen[k[0]] = select.value; apply(); });
    label.appendChild(select);
    bar.appendChild(label);
  });
  if (!bar.children.length) { return; }
  var first = tables[0].closest(".table-scroll");
  var anchor = first.closest("section") || first;
  anchor.parentNode.insertBefore(bar, anchor);
  anchor.parentNode.insertBefore(count, anchor);
  apply();
})();
