// Keyfold: small enhancements only; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // "Copy" buttons copy their input's value or element's text (the page shows it without JS).
  document.querySelectorAll("[data-copy]").forEach((button) => {
    const input = document.getElementById(button.getAttribute("data-copy"));
    if (!input || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      const text = "value" in input ? input.value : input.textContent.trim();
      navigator.clipboard.writeText(text).then(() => {
        const done = button.parentElement.querySelector("[data-copied]");
        if (done) done.hidden = false;
      });
    });
  });
  // Buttons marked data-confirm ask before submitting their form.
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (ev) => {
      if (!window.confirm(el.getAttribute("data-confirm"))) ev.preventDefault();
    });
  });
  // License lines: show the chosen product's defaults in the row's empty policy fields.
  document.querySelectorAll("select[name=line_product]").forEach((select) => {
    select.addEventListener("change", () => {
      const row = select.closest("tr");
      const option = select.selectedOptions[0];
      const data = option && option.value ? option.dataset : {};
      const set = (name, value) => {
        const input = row.querySelector(`[name=${name}]`);
        if (input) input.placeholder = value || "default";
      };
      set("line_max_activations", data.max);
      set("line_validity_days", data.validity);
      set("line_maintenance_days", data.maintenance);
      const type = row.querySelector("[data-default-type]");
      if (type) type.textContent = data.type ? `Product default (${data.type})` : "Product default";
    });
  });
  // A running import's page follows its progress, and shows the result once it is done.
  document.querySelectorAll("[data-progress-url]").forEach((box) => {
    const bar = box.querySelector("progress");
    const summary = box.querySelector("[data-progress-summary]");
    const poll = () => {
      fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
        .then((p) => {
          if (p.status !== "committing") return window.location.reload();
          bar.max = p.total;
          bar.value = p.done;
          summary.textContent = p.summary;
          window.setTimeout(poll, 1000);
        })
        .catch(() => window.setTimeout(poll, 5000));
    };
    window.setTimeout(poll, 1000);
  });
  // Flash messages can be dismissed.
  document.querySelectorAll(".kf-flash [data-dismiss]").forEach((el) => {
    el.addEventListener("click", () => el.closest(".kf-flash").remove());
  });
});
