// Filters for lists of indicators: built from the rows' data-* attributes, so the lists stay
// plain HTML tables that read fine with JavaScript off.
// The words come from the page (data-words on this script's tag), in the page's language.
// The chosen filters are kept in the address (#status=met&year=2564): a link or a reload
// shows the same list, from file:// too.
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

  function showing(shown, all) {
    return W.showing.replace("%(shown)s", shown).replace("%(count)s", all);
  }

  function apply() {
    var shown = 0;
    rows.forEach(function (r) {
      var ok = KEYS.every(function (k) { return !chosen[k[0]] || r.dataset[k[0]] === chosen[k[0]]; });
      r.hidden = !ok;
      if (ok) { shown++; }
    });
    var filtered = KEYS.some(function (k) { return chosen[k[0]]; });
    tables.forEach(function (t) {
      var all = t.querySelectorAll("tbody tr").length;
      var here = t.querySelectorAll("tbody tr:not([hidden])").length;
      t.closest(".table-scroll").hidden = !here;
      var note = t.caption && t.caption.querySelector(".shown");
      if (t.caption && !note) {
        note = document.createElement("span");
        note.className = "shown";
        t.caption.appendChild(note);
      }
      if (note) { note.textContent = filtered ? " (" + showing(here, all) + ")" : ""; }
    });
    count.textContent = showing(shown, rows.length);
  }

  function remember() {
    var parts = KEYS.filter(function (k) { return chosen[k[0]]; }).map(function (k) {
      return k[0] + "=" + encodeURIComponent(chosen[k[0]]);
    });
    var hash = parts.length ? "#" + parts.join("&") : " ";
    try { history.replaceState(null, "", hash === " " ? location.pathname + location.search : hash); }
    catch (e) { location.replace(hash === " " ? "#" : hash); }
  }

  if (location.hash.indexOf("=") > 0) {  // #fy-2564 is an anchor, #year=2564 a filter
    location.hash.slice(1).split("&").forEach(function (part) {
      var kv = part.split("=");
      chosen[kv[0]] = decodeURIComponent(kv[1] || "");
    });
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
    if (chosen[k[0]] && values[chosen[k[0]]] !== undefined) { select.value = chosen[k[0]]; }
    else { delete chosen[k[0]]; }
    select.addEventListener("change", function () { chosen[k[0]] = select.value; remember(); apply(); });
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
