// Step form: show the subject only for email, choices only for polls, the SMS counter only for SMS;
// insert variables from buttons; keep the preview and the one segment counter (the message as the
// sample learner gets it, rendered by the server) up to date as the trainer types.
(function () {
  "use strict";
  const script = document.currentScript;
  const form = document.getElementById("step-form");
  if (!form) return;
  const body = form.querySelector("textarea[name=body]");
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;
  let lastField = body;
  form.addEventListener("focusin", (event) => {
    if (event.target.matches("textarea[name=body], input[name=subject], textarea[name=follow_body]")) lastField = event.target;
  });
  form.querySelectorAll("[data-insert]").forEach((button) => {
    button.addEventListener("click", () => {
      const field = lastField || body;
      const start = field.selectionStart ?? field.value.length;
      const end = field.selectionEnd ?? start;
      field.setRangeText(button.dataset.insert, start, end, "end");
      field.focus();
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  const show = (selector, text) => {
    const element = document.querySelector(selector);
    if (element) element.textContent = text || "";
  };
  let timer = null;
  let asked = 0;
  // The step's picture under the preview, and what a text costs with its link (outside the US and Canada).
  function showPicture(image, withLink) {
    const picture = document.querySelector("[data-preview-image]");
    const cost = document.querySelector("[data-preview-mms]");
    if (!picture || !cost) return;
    picture.hidden = !image;
    if (image) { picture.src = image.url; picture.alt = image.alt; } else { picture.removeAttribute("src"); }
    cost.textContent = image && withLink
      ? `With the picture: 1 MMS to US and Canadian numbers; elsewhere the link is added, ${withLink.units} characters · ${withLink.segments} segment${withLink.segments === 1 ? "" : "s"}.`
      : "";
  }
  function refresh() {
    if (!script || !script.dataset.preview) return;
    const mine = ++asked;
    const data = new FormData(form);
    fetch(script.dataset.preview, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" }
    }).then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((shown) => {
        if (mine !== asked) return; // an older answer arriving late
        const hint = document.querySelector("[data-preview-hint]");
        if (hint) hint.remove();
        if (shown.errors || shown.error) {
          const first = shown.error || Object.values(shown.errors)[0];
          show("[data-preview-problem]", "Not ready yet: " + first);
          return;
        }
        show("[data-preview-problem]", "");
        show("[data-preview-subject]", shown.subject);
        show("[data-preview-body]", shown.body);
        show("[data-preview-moment]", shown.moment ? "sent " + shown.moment + ", for a session on Tue 14 Oct at 09:30 EDT" : "");
        const count = shown.segments;
        show("[data-preview-count]", count ? `${count.units} characters · ${count.segments} segment${count.segments === 1 ? "" : "s"} · ${count.encoding}` : "");
        showPicture(shown.image, shown.with_link);
        // Each language tab: its translation as a learner of that language gets it, and its segments.
        document.querySelectorAll("[data-language-preview]").forEach((box) => {
          const other = (shown.languages || {})[box.dataset.languagePreview];
          const counted = other && other.segments;
          box.querySelector("[data-lp-body]").textContent = other ? other.error || other.body || "" : "";
          box.querySelector("[data-lp-count]").textContent = counted
            ? `${counted.units} characters · ${counted.segments} segment${counted.segments === 1 ? "" : "s"} · ${counted.encoding}`
            : "";
        });
      })
      .catch(() => show("[data-preview-problem]", "The preview could not be updated; “Preview” still works."));
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);

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
  if (!document.querySelector("[data-preview-body]").textContent.trim()) refresh();
})();
