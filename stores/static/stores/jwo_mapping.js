// Settings → Integrations → Just Walk Out: the + button adds a row from the formset's empty
// form; the Web Register dropdown offers only the chosen store's registers; a store chosen in
// one new row is not offered in another. The server checks every one of these rules again.
(function () {
  "use strict";
  const body = document.getElementById("new-rows");
  const template = document.getElementById("empty-row");
  const total = document.getElementById("id_new-TOTAL_FORMS");
  const addButton = document.getElementById("add-row");
  if (!body || !template || !total) return;

  function renumber() {
    const rows = body.querySelectorAll("tr.new-row");
    rows.forEach(function (row, index) {
      row.querySelectorAll("[name],[id],[for]").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          const value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(/new-(\d+|__prefix__)-/, "new-" + index + "-"));
        });
      });
    });
    total.value = rows.length;
  }

  function syncRegisters(row) {
    const store = row.querySelector("select[name$='-store']");
    const register = row.querySelector("select[name$='-web_register']");
    if (!store || !register) return;
    let visible = 0;
    register.querySelectorAll("option").forEach(function (option) {
      if (!option.value) return;
      const match = store.value && option.dataset.store === store.value;
      option.hidden = !match;
      option.disabled = !match;
      if (match) visible += 1;
    });
    const selected = register.selectedOptions[0];
    if (selected && selected.value && selected.disabled) register.value = "";
    if (visible === 1 && !register.value) {
      register.querySelector("option[data-store='" + store.value + "']").selected = true;
    }
  }

  function syncStores() {
    const selects = body.querySelectorAll("select[name$='-store']");
    const chosen = Array.from(selects).map(function (s) { return s.value; });
    selects.forEach(function (select, i) {
      select.querySelectorAll("option").forEach(function (option) {
        if (!option.value) return;
        const elsewhere = chosen.some(function (v, j) { return j !== i && v === option.value; });
        option.disabled = elsewhere;
      });
    });
  }

  function clearError(event) {
    const cell = event.target.closest("td");
    if (!cell || !cell.classList.contains("has-error")) return;
    cell.classList.remove("has-error");
    cell.querySelectorAll(".errorlist").forEach(function (list) { list.remove(); });
  }

  function wire(row) {
    row.addEventListener("change", clearError);
    row.addEventListener("input", clearError);
    const store = row.querySelector("select[name$='-store']");
    if (store) store.addEventListener("change", function () { syncRegisters(row); syncStores(); });
    const remove = row.querySelector(".remove-row");
    if (remove) remove.addEventListener("click", function () { row.remove(); renumber(); syncStores(); });
    syncRegisters(row);
  }

  if (addButton) {
    addButton.addEventListener("click", function () {
      const fragment = template.content.cloneNode(true);
      const row = fragment.querySelector("tr");
      body.appendChild(fragment);
      renumber();
      wire(row);
      syncStores();
      const first = row.querySelector("select, input");
      if (first) first.focus();
    });
  }
  body.querySelectorAll("tr.new-row").forEach(wire);
  syncStores();
})();
