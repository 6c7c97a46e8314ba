"""The single-file HTML report's inline style and script: no fonts, images or scripts are fetched."""

CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5em 0; } th, td { border: 1px solid #ddd; padding: 3px 7px;
  text-align: left; vertical-align: top; } th { background: #f3f3f3; }
#findings th { cursor: pointer; } #findings th.sorted-asc::after { content: " \\25B2"; }
#findings th.sorted-desc::after { content: " \\25BC"; }
.fail { color: #b00; font-weight: 600; } .error { color: #a50; font-weight: 600; } .pass { color: #070; }
.skipped { color: #777; } .critical, .high { color: #b00; } .medium { color: #a50; }
.verdict { font-weight: 600; } code { font-size: .95em; } .muted, .name { color: #777; }
td.details { min-width: 18em; max-width: 28em; overflow-wrap: anywhere; font-size: .85em; }
.filters input, .filters select { margin-right: 1em; }
.sparkline { vertical-align: middle; color: #b00; }
/* printed: no controls; tables fit the page width (cells wrap), rows are not split, headings repeat */
@media print {
  .filters { display: none; } body { margin: 0; font-size: 10px; }
  #findings th { cursor: auto; } #findings th::after { content: none !important; }
  table { width: 100%; table-layout: auto; } td, th { overflow-wrap: anywhere; word-break: break-word; }
  td.details { min-width: 0; max-width: none; } thead { display: table-header-group; } tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
"""

# Sort the findings table by a clicked column and filter it by text and status. Reads only the page.
JS = """
(function () {
  var table = document.getElementById("findings");
  if (!table) { return; }
  var body = table.tBodies[0];
  var text = document.getElementById("filter-text");
  var status = document.getElementById("filter-status");
  function apply() {
    var needle = text.value.toLowerCase(), wanted = status.value;
    Array.prototype.forEach.call(body.rows, function (row) {
      var show = row.textContent.toLowerCase().indexOf(needle) !== -1 &&
        (!wanted || row.getAttribute("data-status") === wanted);
      row.hidden = !show;
    });
  }
  text.addEventListener("input", apply);
  status.addEventListener("change", apply);
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    th.addEventListener("click", function () {
      var asc = !th.classList.contains("sorted-asc");
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) {
        c.classList.remove("sorted-asc", "sorted-desc");
      });
      th.classList.add(asc ? "sorted-asc" : "sorted-desc");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute("data-key") || a.cells[col].textContent;
        var y = b.cells[col].getAttribute("data-key") || b.cells[col].textContent;
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
}());
"""
