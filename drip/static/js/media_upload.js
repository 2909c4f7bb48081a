// Media upload: send the file with XMLHttpRequest so the bar shows how much has gone up.
(function () {
  "use strict";
  const form = document.getElementById("media-upload");
  if (!form || !window.XMLHttpRequest || !window.FormData) return; // the form posts normally
  const bar = document.getElementById("media-progress");
  const fill = bar.querySelector(".progress-bar");
  const status = document.getElementById("media-status");
  const button = form.querySelector("button[type=submit]");

  function show(percent) {
    fill.style.width = percent + "%";
    fill.textContent = percent + "%";
    bar.setAttribute("aria-valuenow", String(percent));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", (progress) => {
      if (progress.lengthComputable) show(Math.round((100 * progress.loaded) / progress.total));
    });
    request.addEventListener("load", () => {
      let answer = null;
      try { answer = JSON.parse(request.responseText); } catch (_) { /* not ours: a proxy's page */ }
      if (answer && answer.ok) { window.location.assign(answer.redirect); return; }
      bar.hidden = true;
      button.disabled = false;
      status.className = "small mt-2 text-danger";
      status.textContent = answer ? answer.message : "The upload was refused (" + request.status + ").";
    });
    request.addEventListener("error", () => {
      bar.hidden = true;
      button.disabled = false;
      status.className = "small mt-2 text-danger";
      status.textContent = "The upload did not finish. Check your connection and try again.";
    });
    button.disabled = true;
    bar.hidden = false;
    status.className = "small mt-2";
    status.textContent = "Uploading…";
    show(0);
    request.send(new FormData(form));
  });
})();
