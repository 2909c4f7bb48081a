// Poll bar charts for the board and the projector: counts and percentages, redrawn on every vote.
// Learner-supplied text (choices are the trainer's, but still) only reaches the page through textContent.
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // An open poll: the latest answers as a list (board) and the words as a cloud, sized by how many wrote each.
  function drawOpen(chart, poll, view) {
    var rows = chart.querySelector(".poll-rows");
    rows.replaceChildren();
    var cloud = el("div", "word-cloud");
    cloud.setAttribute("role", "list");
    cloud.setAttribute("aria-label", "Words in the answers");
    var top = poll.words.length ? poll.words[0].count : 1;
    poll.words.forEach(function (item) {
      var word = el("span", "cloud-word", item.word);
      word.setAttribute("role", "listitem");
      word.dataset.count = item.count;
      word.title = item.count + (item.count === 1 ? " learner" : " learners");
      word.style.fontSize = (1 + 2.2 * item.count / top).toFixed(2) + "em";
      cloud.appendChild(word);
    });
    rows.appendChild(cloud);
    if (view !== "projector") {
      var list = el("ul", "open-answers");
      poll.answers.forEach(function (text) { list.appendChild(el("li", "", text)); });
      rows.appendChild(list);
    }
    chart.querySelector(".poll-summary").textContent =
      poll.voters + (poll.voters === 1 ? " learner" : " learners") + " answered" + (poll.asked ? " of " + poll.asked : "");
  }

  function draw(container, poll, view) {
    var top = Math.max.apply(null, poll.choices.map(function (c) { return c.votes; }).concat([0]));
    var chart = container.querySelector('[data-poll="' + poll.step_id + '"]');
    if (!chart) {
      chart = el("div", "poll-chart-live");
      chart.dataset.poll = poll.step_id;
      chart.appendChild(el("div", "poll-question"));
      chart.appendChild(el("div", "poll-rows"));
      chart.appendChild(el("div", "poll-summary"));
      container.appendChild(chart);
    }
    chart.querySelector(".poll-question").textContent = poll.question;
    if (poll.open) {
      drawOpen(chart, poll, view);
      return chart;
    }
    var rows = chart.querySelector(".poll-rows");
    rows.replaceChildren();
    poll.choices.forEach(function (choice) {
      var row = el("div", "tally-row");
      row.dataset.choice = choice.index;
      row.appendChild(el("div", "tally-label", (choice.index + 1) + ". " + choice.text));
      var track = el("div", "tally-track");
      track.setAttribute("role", "img");
      track.setAttribute("aria-label", choice.votes + " votes, " + choice.percent + "%");
      var bar = el("div", "tally-bar" + (top && choice.votes === top ? " is-top" : ""));
      bar.style.width = choice.percent + "%";
      track.appendChild(bar);
      row.appendChild(track);
      var count = el("div", "tally-count");
      count.appendChild(el("strong", "tally-votes", String(choice.votes)));
      count.appendChild(document.createTextNode(" "));
      count.appendChild(el("span", "tally-percent", choice.percent + "%"));
      row.appendChild(count);
      rows.appendChild(row);
    });
    chart.querySelector(".poll-summary").textContent =
      (poll.asked >= poll.voters
        ? poll.voters + " of " + poll.asked + " voted" + (poll.asked ? " (" + Math.round(100 * poll.voters / poll.asked) + "%)" : "")
        : poll.voters + " voted");
    return chart;
  }

  // The projector shows the chosen poll instead of the questions; the board lists every poll,
  // each with a button that puts it on the projector (or takes it off). Returns whether a poll is shown.
  function render(area, polls, projectorPoll, view) {
    if (view === "projector") {
      var shown = projectorPoll && polls.get(projectorPoll);
      area.hidden = !shown;
      if (shown) {
        Array.from(area.children).forEach(function (c) { if (c.dataset.poll !== String(projectorPoll)) c.remove(); });
        var chart = draw(area, shown, view);
        var how = chart.querySelector(".poll-how") || chart.insertBefore(el("div", "poll-how"), chart.children[1]);
        var last = shown.choices.length;
        how.textContent = shown.open ? "Text your answer in a few words" :
          "Text a number from 1 to " + last + ", or a letter from A to " + String.fromCharCode(64 + Math.min(last, 26));
      }
      return !!shown;
    }
    var none = document.getElementById("polls-empty");
    if (none) none.hidden = polls.size > 0;
    polls.forEach(function (poll) {
      var chart = draw(area, poll, view);
      var button = chart.querySelector("[data-project]");
      if (!button) {
        button = el("button", "btn btn-sm btn-outline-primary mt-2");
        button.type = "button";
        button.dataset.project = poll.step_id;
        chart.appendChild(button);
      }
      var on = projectorPoll === poll.step_id;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.classList.toggle("active", on);
      button.textContent = on ? "On the projector: show questions instead" : "Show on the projector";
    });
    return false;
  }

  window.DripPolls = { draw: draw, render: render };
})();
