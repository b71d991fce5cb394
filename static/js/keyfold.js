// Keyfold: small enhancements only; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Buttons marked data-confirm ask before submitting their form.
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (ev) => {
      if (!window.confirm(el.getAttribute("data-confirm"))) ev.preventDefault();
    });
  });
  // Flash messages can be dismissed.
  document.querySelectorAll(".kf-flash [data-dismiss]").forEach((el) => {
    el.addEventListener("click", () => el.closest(".kf-flash").remove());
  });
});
