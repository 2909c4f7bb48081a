// CSV import confirmation: post with fetch and show a progress bar read from the server while it runs.
(function () {
  "use strict";
  const form = document.getElementById("confirm-import");
  if (!form || !window.fetch) return; // without fetch the form posts normally
  const bar = document.getElementById("import-progress");
  const fill = bar.querySelector(".progress-bar");
  const status = document.getElementById("import-status");

  function show(state) {
    const percent = state.total ? Math.round((100 * state.done) / state.total) : 0;
    fill.style.width = percent + "%";
    fill.textContent = percent + "%";
    const words = {
      waiting: "Starting…",
      checking: "Checking every row again…",
      enrolling: "Enrolling " + state.total + " learners and scheduling their messages…",
    };
    status.textContent = words[state.stage] || "Saved " + state.done + " of " + state.total + " learners…";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelector("button").disabled = true;
    bar.hidden = false;
    status.hidden = false;
    status.textContent = "Starting…";
    let running = true;
    const poll = async () => {
      while (running) {
        try {
          const response = await fetch(form.dataset.progress, { headers: { Accept: "application/json" } });
          if (response.ok) show(await response.json());
        } catch (_) { /* the next tick tries again */ }
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
    };
    poll();
    try {
      const response = await fetch(form.action, {
        method: "POST", body: new FormData(form), headers: { Accept: "application/json" },
      });
      running = false;
      const type = response.headers.get("Content-Type") || "";
      if (response.ok && type.includes("application/json")) {
        fill.style.width = "100%";
        window.location.assign((await response.json()).redirect);
      } else {
        // A refusal comes back as the preview page with the reasons: show it.
        document.open();
        document.write(await response.text());
        document.close();
      }
    } catch (error) {
      running = false;
      status.textContent = "The import did not finish (" + error + "). Nothing was stored; try again.";
      form.querySelector("button").disabled = false;
    }
  });
})();
