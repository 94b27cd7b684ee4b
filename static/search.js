// Search, offline: the index is a script (search-index.js), so it works opened from disk.
// Query and text are normalised alike: Thai digits as Arabic, the two spellings of sara am
// (and the PDF artefact ำา), เเ typed for แ, case, and spaces (Thai runs words together).
(function () {
  "use strict";
  var data = window.KPI_SEARCH;
  var form = document.getElementById("search-form");
  if (!data || !form) { return; }
  var input = document.getElementById("q");
  var list = document.getElementById("results");
  var summary = document.getElementById("result-count");
  var textsBox = document.getElementById("search-texts");
  var more = document.getElementById("more-results");
  var filters = {year: "", agency: "", type: "", status: ""};
  var NONE = "-";  // the filter value for "no agency" ("" means all)
  var PAGE = 50;  // results drawn at a time: laying out Thai text is the slow part
  var shown = PAGE;
  var last = {terms: null, rows: null};  // typing on narrows the previous results
  var urlTimer = null;
  var W = data.words;  // the page's language: from the catalogue, through the index
  function say(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (m, name) { return values[name]; });
  }
  function yearLabel(year) { return year === data.noYear ? W.noYear : say(W.yearOf, {year: year}); }
  var at = {};  // where each column is in a row of the index
  data.columns.forEach(function (name, i) { at[name] = i; });

  function normalize(s) {
    return String(s).toLowerCase()
      .replace(/[\u0E50-\u0E59]/g, function (d) { return String.fromCharCode(d.charCodeAt(0) - 0x0E50 + 48); })
      .replace(/\u0E4D\u0E32/g, "\u0E33")
      .replace(/\u0E33\u0E32/g, "\u0E33")
      .replace(/\u0E40\u0E40/g, "\u0E41")
      .replace(/[\s\u200B]+/g, "");
  }
  window.kpiNormalize = normalize;  // for tests

  function ancestors(number) {
    var parts = number.split("."), out = [];
    for (var i = 1; i <= parts.length; i++) { out.push(parts.slice(0, i).join(".")); }
    return out;
  }

  var rows = data.rows.map(function (r, i) {
    var year = r[at.year_key], code = r[at.code], agency = r[at.agency];
    var status = r[at.status], type = r[at.type];
    // The name in the page's language, or the content's own (then marked with its language).
    var name = r[at[data.name]] || r[at.name];
    var about = [data.agencies[agency] || agency, data.statuses[status], data.types[type],
                 r[at.unit], r[at.unit_en], yearLabel(year), r[at.name], r[at.name_en]];
    r[at.strategy].forEach(function (n) {
      ancestors(n).forEach(function (a) { about.push(a, data.nodes[a] || ""); });
    });
    var unit = (data.name !== "name" && r[at.unit_en]) || r[at.unit];
    return {i: i, year: year, code: code, name: name, agency: agency, status: status, type: type,
            unit: unit, target: r[at.target_shown], achieved: r[at.achieved_shown],
            marked: data.name !== "name" && !r[at[data.name]],
            main: normalize(code + " " + name), about: normalize(about.join(" ")), text: ""};
  });

  // Scan once while the reader is still reading, so the first keystroke finds warm code.
  setTimeout(function () { rows.forEach(function (row) { matches(row, ["\u0000"]); }); }, 0);

  function loadTexts(then) {
    function apply() {
      window.KPI_SEARCH_TEXTS.forEach(function (t, i) { if (rows[i]) { rows[i].text = normalize(t); } });
      then();
    }
    if (window.KPI_SEARCH_TEXTS) { apply(); return; }
    var s = document.createElement("script");
    s.src = data.texts;
    s.onload = apply;
    document.head.appendChild(s);
  }

  function matches(row, terms) {
    var inMain = 0;
    for (var k = 0; k < terms.length; k++) {
      var t = terms[k];
      if (row.main.indexOf(t) >= 0) { inMain++; }
      else if (row.about.indexOf(t) < 0 && row.text.indexOf(t) < 0) { return -1; }
    }
    return inMain === terms.length ? 2 : 1;
  }

  function passesFilters(row) {
    return (!filters.year || row.year === filters.year) && (!filters.agency || row.agency === filters.agency) &&
      (!filters.type || row.type === filters.type) && (!filters.status || row.status === filters.status);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function show(found, total) {
    list.textContent = "";
    more.hidden = found.length <= shown;
    found.slice(0, shown).forEach(function (row) {
      var li = el("li");
      var a = el("a", "", row.code + " " + row.name);
      if (row.marked) { a.lang = data.contentLang; }  // the content's language, not the page's
      a.href = data.page.replace("{year}", row.year).replace("{code}", row.code);
      li.appendChild(a);
      var meta = el("span", "meta");
      meta.appendChild(document.createTextNode((data.agencies[row.agency] || W.noAgency) + " · " +
        (row.year === data.noYear ? W.noYearShort : say(W.yearOf, {year: row.year})) + " · "));
      meta.appendChild(el("span", "status status-" + row.status, data.statuses[row.status]));
      var unit = row.unit ? " " + row.unit : "";
      meta.appendChild(document.createTextNode(" · " + W.target + " " + (row.target ?
        row.target + unit : "-") + " · " + W.achieved + " " + (row.achieved ?
        row.achieved + unit : W.notReported)));
      li.appendChild(meta);
      list.appendChild(li);
    });
    summary.textContent = total === null ? "" : found.length === 0 ?
      W.notFound + (textsBox.checked ? "" : W.orTexts) :
      say(W.found, {count: found.length}) + (found.length > shown ? say(W.firstShown, {shown: shown}) : "");
  }

  function run(keepShown) {
    if (!keepShown) { shown = PAGE; }
    var terms = input.value.split(/\s+/).map(normalize).filter(Boolean);
    var filtered = filters.year || filters.agency || filters.type || filters.status;
    if (!terms.length && !filtered) { last = {terms: null, rows: null}; show([], null); return; }
    // What matches every new term also matches every old one when each old term lies inside
    // a new term: then only the previous results need searching (typing on narrows them).
    var context = JSON.stringify(filters) + !!textsBox.checked;
    var narrowing = last.rows && last.context === context && last.terms.every(function (old) {
      return terms.some(function (t) { return t.indexOf(old) >= 0; });
    });
    var found = [];
    (narrowing ? last.rows : rows).forEach(function (row) {
      if (!passesFilters(row)) { return; }
      var score = terms.length ? matches(row, terms) : 1;
      if (score > 0) { found.push({row: row, score: score}); }
    });
    found.sort(function (a, b) { return b.score - a.score || a.row.i - b.row.i; });
    var result = found.map(function (f) { return f.row; });
    last = {terms: terms, context: context, rows: result};
    show(result, found.length);
    clearTimeout(urlTimer);
    urlTimer = setTimeout(function () {
      try {
        history.replaceState(null, "", "?q=" + encodeURIComponent(input.value));
      } catch (e) { /* some browsers refuse this on file:// pages */ }
    }, 400);
  }

  function addFilter(key, label, options) {
    var wrap = el("label", "filter");
    wrap.appendChild(document.createTextNode(label + " "));
    var select = el("select");
    select.appendChild(new Option(W.all, ""));
    options.forEach(function (o) { select.appendChild(new Option(o[1], o[0])); });
    select.addEventListener("change", function () { filters[key] = select.value; run(); });
    wrap.appendChild(select);
    document.getElementById("search-filters").appendChild(wrap);
  }

  function distinct(key) {
    var seen = {};
    rows.forEach(function (r) { seen[r[key]] = true; });
    return Object.keys(seen);
  }

  addFilter("year", W.fiscalYear, distinct("year").sort(function (a, b) {
    return (a === data.noYear) - (b === data.noYear) || (a < b ? 1 : -1); }).map(function (y) {
    return [y, y === data.noYear ? W.noYear : y]; }));
  addFilter("agency", W.agency, distinct("agency").sort().map(function (a) {
    return [a || NONE, data.agencies[a] || W.noAgency]; }));
  addFilter("type", W.type, Object.keys(data.types).map(function (t) { return [t, data.types[t]]; }));
  addFilter("status", W.status, Object.keys(data.statuses).map(function (s) { return [s, data.statuses[s]]; }));

  var autoTexts = data.textsBytes < 500000;
  textsBox.checked = autoTexts;
  document.getElementById("texts-size").textContent = data.textsBytes < 1e6 ?
    Math.ceil(data.textsBytes / 1e3) + " kB" : (data.textsBytes / 1e6).toFixed(1) + " MB";
  textsBox.addEventListener("change", function () {
    if (textsBox.checked) { loadTexts(function () { run(); }); }
    else { rows.forEach(function (r) { r.text = ""; }); run(); }
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  input.addEventListener("input", function () { run(); });
  more.addEventListener("click", function () { shown += PAGE * 2; run(true); });
  document.getElementById("search-ui").hidden = false;

  var q = new URLSearchParams(location.search).get("q");
  if (q) { input.value = q; }
  if (autoTexts) { loadTexts(function () { run(); }); } else { run(); }
})();
