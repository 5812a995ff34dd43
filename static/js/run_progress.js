// Polls the run's API row and updates the progress bar; reloads once when the run finishes.
(function () {
  const box = document.getElementById("run-status");
  if (!box) return;
  const terminal = ["succeeded", "failed", "cancelled"];
  if (terminal.includes(box.dataset.status)) return;
  const bar = document.getElementById("run-progress");
  const text = document.getElementById("run-status-text");
  const message = document.getElementById("run-progress-message");
  async function poll() {
    try {
      const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const run = await response.json();
        bar.value = run.progress;
        text.textContent = run.status;
        message.textContent = run.progress_message || "";
        if (terminal.includes(run.status)) { window.location.reload(); return; }
      }
    } catch (err) { /* network hiccup: try again */ }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
