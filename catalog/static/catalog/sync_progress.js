// Live progress of a sync run: polls its JSON every 2 s until it has finished, then reloads
// once so that the rejected items and the log show in full.
(function () {
  "use strict";
  const box = document.getElementById("progress");
  if (!box || box.dataset.finished === "1") return;
  const ids = ["batches_done", "batches_total", "batches_sent", "items_sent", "items_to_send",
    "items_accepted", "items_rejected", "items_ineligible", "items_archived"];
  function tick() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        ids.forEach(function (id) {
          const el = document.getElementById(id);
          if (el) el.textContent = data[id];
        });
        document.getElementById("run-status").textContent = data.status_label;
        const bar = document.getElementById("run-bar");
        bar.max = Math.max(1, data.batches_total);
        bar.value = data.batches_done;
        if (data.error) {
          const err = document.getElementById("run-error");
          err.textContent = data.error;
          err.hidden = false;
        }
        if (data.finished) { window.location.reload(); } else { setTimeout(tick, 2000); }
      })
      .catch(function () { setTimeout(tick, 5000); });
  }
  setTimeout(tick, 1000);
})();
