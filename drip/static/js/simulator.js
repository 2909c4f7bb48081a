// Keep the simulated phones current: new steps arrive from the worker while the page is open.
(function () {
  "use strict";
  function scrollDown() {
    document.querySelectorAll("[data-thread]").forEach(function (thread) { thread.scrollTop = thread.scrollHeight; });
  }
  function refresh() {
    var typing = document.activeElement && document.activeElement.name === "body" && document.activeElement.value;
    if (typing || document.hidden) return;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        fresh.querySelectorAll("[data-number]").forEach(function (phone) {
          var current = document.querySelector('[data-number="' + phone.dataset.number + '"] [data-thread]');
          var next = phone.querySelector("[data-thread]");
          if (current && next && current.innerHTML !== next.innerHTML) {
            current.replaceChildren.apply(current, Array.from(next.childNodes));
            current.scrollTop = current.scrollHeight;
          }
        });
      })
      .catch(function () {});
  }
  // "Reply as Gmail would": the box filled as Gmail fills it, the cursor on top where the learner writes.
  var gmail = document.querySelector("[data-gmail-reply]");
  if (gmail) {
    gmail.addEventListener("click", function () {
      var chosen = document.getElementById("email-id").selectedOptions[0];
      var box = document.getElementById("email-body");
      box.value = chosen ? chosen.dataset.gmailTemplate : "";
      box.focus();
      box.setSelectionRange(0, 0);
    });
    gmail.hidden = false; // a button that needs this script shows only once the script is here
  }
  scrollDown();
  var focus = window.location.hash && document.querySelector(window.location.hash + " input[name=body]");
  if (focus) focus.focus();
  setInterval(refresh, 4000);
})();
