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
      el.hidden = !el.dataset.showKind.split(" ").includes(kind);
    });
    // The right-answer picker names each choice as typed, so the trainer marks the text, not a letter.
    const picker = form.querySelector("[data-quiz-answer]");
    const choices = form.querySelector("textarea[name=choices]");
    if (picker && choices) {
      const lines = choices.value.split("\n").map((line) => line.trim()).filter(Boolean);
      Array.from(picker.options).slice(1).forEach((option, index) => {
        const letter = "ABCDEFGHI"[index];
        option.textContent = lines[index] ? `${letter}) ${lines[index]}` : letter;
        option.hidden = index >= Math.max(lines.length, 2);
      });
    }
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
