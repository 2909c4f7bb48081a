// The cohort page works without this file. With it, a vote does not reload the page, and the room's
// questions and votes refresh every few seconds while the session is live. Learner text only ever
// reaches the page through textContent.
(function () {
  "use strict";
  var REFRESH_EVERY = 5000;
  // A vote is answered by one process; another may answer a refresh from what it read up to a second
  // before: a refresh asked for less than VOTE_SETTLES after the vote's answer does not move its button.
  var VOTE_SETTLES = 1500;
  var votedAt = {};

  function want(form, button) {
    // Which way the press goes, sent with it: a press sent again (after a busy answer) changes nothing.
    var field = form.querySelector("input[name=want]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "want";
      form.appendChild(field);
    }
    field.value = button.getAttribute("aria-pressed") === "true" ? "off" : "on";
  }

  function onVote(event) {
    var form = event.target.closest("form.vote");
    if (!form) return;
    event.preventDefault();
    var button = form.querySelector("button");
    want(form, button);
    button.disabled = true;
    fetch(form.action, {
      method: "POST", credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: new FormData(form)
    }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    }).then(function (result) {
      votedAt[form.action] = Date.now();
      button.setAttribute("aria-pressed", result.voted ? "true" : "false");
      button.querySelector(".count").textContent = String(result.votes);
    }).catch(function () {
      form.submit(); // the page's own way: post and come back
    }).then(function () {
      button.disabled = false;
    });
  }

  function item(list, question, asked) {
    var node = document.getElementById("question-" + question.id);
    if (!node) {
      node = document.createElement("li");
      node.id = "question-" + question.id;
      node.appendChild(document.createElement("p"));
      var vote = document.createElement("form");
      vote.method = "post";
      vote.className = "vote";
      vote.action = list.dataset.vote.replace(/\/questions\/0\//, "/questions/" + question.id + "/");
      var token = document.createElement("input");
      token.type = "hidden";
      token.name = "form_token";
      token.value = list.dataset.formToken; // the page may have no other form yet
      vote.appendChild(token);
      var button = document.createElement("button");
      button.type = "submit";
      var label = document.createElement("span");
      label.className = "label";
      label.textContent = list.dataset.voteLabel || "Vote";
      var count = document.createElement("span");
      count.className = "count";
      button.appendChild(label);
      button.appendChild(document.createTextNode(" "));
      button.appendChild(count);
      vote.appendChild(button);
      node.appendChild(vote);
    }
    node.querySelector("p").textContent = question.body;
    var pressed = node.querySelector("button");
    var settled = asked - (votedAt[node.querySelector("form.vote").action] || 0) > VOTE_SETTLES;
    if (pressed && !pressed.disabled && settled) {
      pressed.setAttribute("aria-pressed", question.voted ? "true" : "false");
      pressed.querySelector(".count").textContent = String(question.votes);
    }
    return node;
  }

  // The room as last seen (its ETag: the server answers 304 while it is unchanged), and when to ask again:
  // a busy server (503) or a rate limit (429) says how long to wait, spread a little so phones do not
  // all come back in the same second.
  var seen = "";

  function later(response) {
    var seconds = parseInt(response.headers.get("Retry-After") || "", 10);
    return (seconds > 0 ? seconds * 1000 : REFRESH_EVERY) * (1 + Math.random() / 2);
  }

  function show(list, room, asked) {
    var wanted = room.questions.map(function (q) { return item(list, q, asked); });
    Array.from(list.children).forEach(function (child) { if (wanted.indexOf(child) < 0) child.remove(); });
    wanted.forEach(function (node, index) {
      if (list.children[index] !== node) list.insertBefore(node, list.children[index] || null);
    });
    document.getElementById("no-questions").hidden = wanted.length > 0;
    document.getElementById("vote-hint").hidden = wanted.length === 0;
    // A poll other than the one the page shows has opened (one closing is not news: its form says so if used).
    document.getElementById("poll-opened").hidden = !room.poll || String(room.poll) === list.dataset.poll;
  }

  function refresh(list) {
    var wait = REFRESH_EVERY;
    var next = function () { setTimeout(function () { refresh(list); }, wait); };
    if (document.visibilityState === "hidden") return next();
    var headers = { Accept: "application/json" };
    if (seen) headers["If-None-Match"] = seen;
    var asked = Date.now();
    fetch(list.dataset.room, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        if (response.status === 503 || response.status === 429) wait = later(response);
        if (!response.ok) return null; // 304: nothing changed
        var tag = response.headers.get("ETag") || "";
        return response.json().then(function (room) {
          show(list, room, asked);
          seen = tag; // only once shown: a room that could not be shown is asked for whole again
        });
      })
      .catch(function () { /* offline for a moment: the next refresh tries again */ })
      .then(next);
  }

  document.addEventListener("submit", onVote);
  var list = document.getElementById("questions");
  if (list && list.dataset.room) setTimeout(function () { refresh(list); }, REFRESH_EVERY);
})();
