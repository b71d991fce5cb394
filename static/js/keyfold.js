// Keyfold: small enhancements only; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
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
  // Flash messages can be dismissed.
  document.querySelectorAll(".kf-flash [data-dismiss]").forEach((el) => {
    el.addEventListener("click", () => el.closest(".kf-flash").remove());
  });
});
