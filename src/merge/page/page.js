"use strict";
// Filters and the detail panel of the apim-probe matrix. Every value is set with textContent,
// never parsed as HTML: the reports hold text that hostile servers chose.
(function () {
  const data = JSON.parse(document.getElementById("cells").textContent);
  const table = document.getElementById("matrix");
  const rows = Array.from(table.tBodies[0].rows);
  const head = table.tHead.rows[0];
  const ncols = data.columns.length;
  const first = 3; // dependency, target, req
  const only = document.getElementById("only-failures");
  const vm = document.getElementById("vm");
  const dep = document.getElementById("dep");
  const shown = document.getElementById("shown");
  const panel = document.getElementById("detail");

  function apply() {
    const col = vm.value === "" ? -1 : Number(vm.value);
    const id = dep.value;
    let n = 0;
    for (const tr of rows) {
      const fails = col < 0
        ? tr.dataset.fails === "1"
        : tr.cells[first + col].classList.contains("c-failed");
      const hide = (id !== "" && tr.dataset.id !== id) || (only.checked && !fails);
      tr.hidden = hide;
      if (!hide) n += 1;
    }
    for (const tr of [head].concat(rows)) {
      for (let c = 0; c < ncols; c += 1) {
        tr.cells[first + c].hidden = col >= 0 && c !== col;
      }
    }
    shown.textContent = n + " of " + rows.length + " rows shown";
  }

  function set(id, text) {
    document.getElementById(id).textContent = text;
  }

  function show(td) {
    const r = Number(td.parentElement.dataset.r);
    const c = Number(td.dataset.c);
    const cell = data.cells[r * ncols + c] || ["", null];
    set("d-vm", data.columns[c]);
    set("d-row", data.rows[r]);
    set("d-status", td.textContent);
    set("d-detail", cell[0] || "(none)");
    set("d-hint", cell[1] || "(none)");
    panel.hidden = false;
  }

  table.addEventListener("click", function (e) {
    const td = e.target.closest("td[data-c]");
    if (td) show(td);
  });
  table.addEventListener("keydown", function (e) {
    const td = e.target.closest("td[data-c]");
    if (td && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      show(td);
    }
  });
  document.getElementById("close").addEventListener("click", function () {
    panel.hidden = true;
  });
  only.addEventListener("change", apply);
  vm.addEventListener("change", apply);
  dep.addEventListener("change", apply);
  apply();
})();
