// Outbox: reload the message list every few seconds, keeping open HTML previews open.
(function () {
  "use strict";
  const list = document.getElementById("outbox-messages");
  if (!list || !list.dataset.refresh || !window.fetch) return;
  const EVERY_MS = 4000;

  async function refresh() {
    if (document.hidden) return;
    const open = new Set(Array.from(list.querySelectorAll("details[open]")).map((d) => d.closest("[data-message]").dataset.message));
    try {
      const response = await fetch(list.dataset.refresh, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      if (!response.ok) return;
      const html = await response.text();
      const first = list.querySelector("[data-message]");
      const probe = document.createElement("div");
      probe.innerHTML = html; // server-rendered and escaped by Jinja, same as the first load
      const newest = probe.querySelector("[data-message]");
      if (first && newest && first.dataset.message === newest.dataset.message) return; // nothing new
      open.forEach((id) => {
        const details = probe.querySelector(`[data-message="${id}"] details`);
        if (details) details.open = true;
      });
      list.replaceChildren(...probe.childNodes);
    } catch (_) { /* offline for a moment: try again next tick */ }
  }

  setInterval(refresh, EVERY_MS);
})();
