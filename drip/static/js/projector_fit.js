// The projector fits the room's screen without scrolling (1024x768, 1280x720, 1920x1080): with
// questions or a poll on it the number to text shrinks to one line, and questions that do not fit
// are left off (the newest and starred come first) with a "+ N more" line instead.
(function () {
  "use strict";
  var body = document.body;
  var list = document.getElementById("questions");
  var polls = document.getElementById("polls");
  var more = document.getElementById("more");
  if (!list || !more) return;
  var pending = false;

  function fit() {
    pending = false;
    var cards = Array.from(list.children);
    var pollShown = polls && !polls.hidden && polls.children.length > 0;
    body.classList.toggle("has-content", pollShown || cards.length > 0);
    cards.forEach(function (card) { card.hidden = false; });
    var bottom = list.getBoundingClientRect().bottom;
    var left = 0;
    cards.forEach(function (card) {
      if (left || card.getBoundingClientRect().bottom > bottom + 1) {
        card.hidden = true;
        left += 1;
      }
    });
    more.hidden = left === 0 || list.hidden;
    more.textContent = "+ " + left + " more question" + (left === 1 ? "" : "s");
  }

  function soon() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(fit);
  }

  var watch = new MutationObserver(soon);
  watch.observe(list, { childList: true, subtree: true, characterData: true });
  if (polls) watch.observe(polls, { childList: true, subtree: true, attributes: true, attributeFilter: ["hidden"] });
  window.addEventListener("resize", soon);
  soon();
})();
