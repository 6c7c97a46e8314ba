// opsbook web: optional niceties only (every page works without script). Served from 'self' (CSP).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // ask before an approval applies a plan
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (ev) => {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  }
  // click a column header to sort that table (text, or numbers when both cells are numbers)
  for (const table of document.querySelectorAll("table.sortable")) {
    table.querySelectorAll("th").forEach((th, col) => {
      th.addEventListener("click", () => {
        const body = table.tBodies[0];
        const asc = th.dataset.dir !== "asc";
        th.dataset.dir = asc ? "asc" : "desc";
        const rows = Array.from(body.rows);
        rows.sort((a, b) => {
          const x = a.cells[col]?.textContent.trim() ?? "", y = b.cells[col]?.textContent.trim() ?? "";
          const nx = Number(x), ny = Number(y);
          const c = x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
          return asc ? c : -c;
        });
        rows.forEach((r) => body.appendChild(r));
      });
    });
  }
});
