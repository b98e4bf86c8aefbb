// Poll the import job until it is done or failed, updating the page in place.
(function () {
  const box = document.getElementById("job");
  if (!box) return;
  const url = box.dataset.url;
  const byId = (id) => document.getElementById(id);
  function render(job) {
    byId("job-state").textContent = job.state_label;
    byId("job-bar").value = job.percent_done;
    byId("job-counts").textContent = job.processed_files + " / " + job.total_files;
    byId("job-percent").textContent = job.percent_done + "%";
    byId("job-imported").textContent = job.instances_imported;
    byId("job-duplicates").textContent = job.duplicates_skipped;
    byId("job-rejected-count").textContent = job.rejected.length;
    const list = byId("job-rejected");
    if (job.rejected.length) {
      list.replaceChildren(...job.rejected.map(function (item) {
        const li = document.createElement("li");
        const code = document.createElement("code");
        code.textContent = item.file;
        li.append(code, ": " + item.reason);
        return li;
      }));
    }
    if (job.error) { byId("job-error").hidden = false; byId("job-error").textContent = job.error; }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then(function (job) {
        render(job);
        if (job.state === "queued" || job.state === "running") setTimeout(poll, 1000);
      })
      .catch(() => setTimeout(poll, 3000));
  }
  poll();
})();
