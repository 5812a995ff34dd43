// Result tables on a run page: load every row (JSON table endpoint), then sort by a column
// (click its header), filter by text and page through 25 rows at a time. Signature,
// perturbagen and gene cells become links to their catalogue pages.
(function () {
  "use strict";
  var PAGE = 25;
  var MAX_ROWS = 25000;
  var LINKS = {
    signature: function (row) { return "/signatures/" + encodeURIComponent(row.signature) + "/"; },
    perturbagen: function (row) {
      return row.perturbagen_id ? "/perturbagens/" + encodeURIComponent(row.perturbagen_id) + "/" : null;
    },
    entrez: function (row) { return /^\d+$/.test(String(row.entrez)) ? "/genes/" + row.entrez + "/" : null; },
    // An enrichment term opens its pathway page, coloured by the run's signature.
    term: function (row, table) {
      if (!row.library || !table.dataset.run) return null;
      return "/pathways/" + encodeURIComponent(row.library) + "/?term=" + encodeURIComponent(row.term) +
        "&run=" + encodeURIComponent(table.dataset.run);
    },
  };

  function display(value) {
    if (value === null || value === undefined || value === "" || value === "nan") return "";
    if (typeof value === "number" && !Number.isInteger(value)) {
      return Math.abs(value) < 1e-3 && value !== 0 ? value.toExponential(2) : value.toPrecision(4);
    }
    return String(value);
  }

  function parse(text) {
    var n = Number(text);
    return text !== "" && text !== "nan" && !isNaN(n) ? n : text;
  }

  function rowsFromDom(table, columns) {
    return Array.prototype.map.call(table.tBodies[0].rows, function (tr) {
      var row = {};
      columns.forEach(function (c, i) { row[c] = parse(tr.cells[i] ? tr.cells[i].textContent : ""); });
      return row;
    });
  }

  function compare(a, b) {
    var empty = function (v) { return v === null || v === undefined || v === ""; };
    if (empty(a)) return empty(b) ? 0 : 1;
    if (empty(b)) return -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b));
  }

  function enhance(table) {
    var columns = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) { return th.textContent; });
    var state = { rows: rowsFromDom(table, columns), shown: [], page: 0, sortBy: null, desc: false, filter: "" };
    var controls = document.createElement("div");
    controls.className = "table-controls";
    controls.innerHTML =
      '<label>Filter <input type="search" class="table-filter" placeholder="any column"></label> ' +
      '<button type="button" class="table-prev">‹ previous</button> ' +
      '<span class="table-page"></span> ' +
      '<button type="button" class="table-next">next ›</button>';
    table.parentNode.parentNode.insertBefore(controls, table.parentNode);
    var pageLabel = controls.querySelector(".table-page");

    function render() {
      var q = state.filter.toLowerCase();
      var rows = state.rows.filter(function (row) {
        return !q || columns.some(function (c) { return String(row[c]).toLowerCase().indexOf(q) >= 0; });
      });
      if (state.sortBy !== null) {
        var key = state.sortBy;
        rows.sort(function (a, b) { var r = compare(a[key], b[key]); return state.desc ? -r : r; });
      }
      var pages = Math.max(1, Math.ceil(rows.length / PAGE));
      state.page = Math.min(state.page, pages - 1);
      var body = document.createElement("tbody");
      rows.slice(state.page * PAGE, (state.page + 1) * PAGE).forEach(function (row) {
        var tr = body.insertRow();
        columns.forEach(function (c) {
          var td = tr.insertCell();
          var href = LINKS[c] && row[c] !== "" ? LINKS[c](row, table) : null;
          if (href) {
            var a = document.createElement("a");
            a.href = href;
            a.textContent = display(row[c]);
            td.appendChild(a);
          } else {
            td.textContent = display(row[c]);
          }
          if (typeof row[c] === "number") td.className = "num";
        });
      });
      table.replaceChild(body, table.tBodies[0]);
      pageLabel.textContent = "page " + (state.page + 1) + " of " + pages + " (" + rows.length + " rows)";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
        th.setAttribute("aria-sort", columns[i] === state.sortBy ? (state.desc ? "descending" : "ascending") : "none");
      });
    }

    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.classList.add("sortable");
      th.title = "sort by " + columns[i];
      th.addEventListener("click", function () {
        state.desc = state.sortBy === columns[i] ? !state.desc : false;
        state.sortBy = columns[i];
        render();
      });
    });
    controls.querySelector(".table-filter").addEventListener("input", function (e) {
      state.filter = e.target.value;
      state.page = 0;
      render();
    });
    controls.querySelector(".table-prev").addEventListener("click", function () { state.page = Math.max(0, state.page - 1); render(); });
    controls.querySelector(".table-next").addEventListener("click", function () { state.page += 1; render(); });
    render();

    var total = Number(table.dataset.count || 0);
    if (table.dataset.url && total > state.rows.length) {
      fetch(table.dataset.url + "?limit=" + Math.min(total, MAX_ROWS), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          state.rows = data.rows.map(function (row) {
            columns.forEach(function (c) { if (row[c] === null) row[c] = ""; });
            return row;
          });
          render();
        });
    }
  }

  document.querySelectorAll("table.result-table").forEach(enhance);
})();
