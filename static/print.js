// The printable view: today's date in the Buddhist Era, this page's address, a print button.
(function () {
  "use strict";
  var MONTHS = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"];
  var d = new Date();
  var date = d.getDate() + " " + MONTHS[d.getMonth()] + " " + (d.getFullYear() + 543);
  document.querySelectorAll("[data-print-date]").forEach(function (el) { el.textContent = date; });
  document.querySelectorAll("[data-page-url]").forEach(function (el) {
    if (location.protocol !== "file:" || !el.textContent.match(/^https?:/)) {
      el.textContent = decodeURI(location.href.split("#")[0]);
    }
  });
  document.querySelectorAll("[data-print]").forEach(function (el) {
    el.addEventListener("click", function () { window.print(); });
  });
})();
