// Tables with class "sortable": each column heading becomes a button that sorts the rows by
// that column (numbers as numbers, text in the page's language), again for the other way.
// Without JavaScript the table stays in the order the page gives.
(function () {
  "use strict";
  var collator = new Intl.Collator(document.documentElement.lang || undefined, {numeric: true});
  function value(row, col) {
    var cell = row.cells[col];
    var text = cell ? (cell.getAttribute("data-sort") || cell.textContent).trim() : "";
    var n = parseFloat(text.replace(/,/g, ""));
    return isNaN(n) || !/^-?[\d.,]+\s*%?$/.test(text) ? {text: text} : {number: n};
  }
  function compare(a, b) {
    if ("number" in a && "number" in b) return a.number - b.number;
    if ("number" in a) return -1;
    if ("number" in b) return 1;
    return collator.compare(a.text, b.text);
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var up = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var c = compare(value(a, col), value(b, col));
          return up ? c : -c;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
