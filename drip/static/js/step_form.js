// Step form: show the subject only for email, choices only for polls, the SMS counter only for SMS.
(function () {
  "use strict";
  const form = document.getElementById("step-form");
  if (!form) return;

  function update() {
    const channel = (form.querySelector("input[name=channel]:checked") || {}).value || "sms";
    const kind = form.querySelector("select[name=kind]").value;
    form.querySelectorAll("[data-show-channel]").forEach((el) => {
      el.hidden = el.dataset.showChannel !== channel;
    });
    form.querySelectorAll("[data-show-kind]").forEach((el) => {
      el.hidden = el.dataset.showKind !== kind;
    });
  }

  form.addEventListener("change", update);
  update();
})();
