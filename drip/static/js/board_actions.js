// What the board sends back to the server: JSON posts with the CSRF header, and the select of
// kinds a question can be filed as (option texts through textContent only).
(function () {
  "use strict";

  function post(url, body, csrf) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    });
  }

  function fillRefile(node, groups) {
    var select = node.querySelector("[data-refile]");
    if (!select || select.options.length) return;
    // Nothing is picked until the trainer picks: a text is not a practice report by default.
    var prompt = document.createElement("option");
    prompt.value = "";
    prompt.textContent = "Not a question? File it as…";
    prompt.selected = true;
    prompt.disabled = true;
    select.appendChild(prompt);
    groups.forEach(function (group) {
      var optgroup = document.createElement("optgroup");
      optgroup.label = group.label;
      group.options.forEach(function (option) {
        if (option.value === "live_question") return; // it is one already
        var choice = document.createElement("option");
        choice.value = option.value;
        choice.textContent = option.label;
        optgroup.appendChild(choice);
      });
      select.appendChild(optgroup);
    });
  }

  window.DripActions = { post: post, fillRefile: fillRefile };
})();
