// The live board and the projector: questions and poll charts pushed by server-sent events, marks,
// moves and the projector switch sent with fetch.
// Learner text only ever reaches the page through textContent, never as HTML.
(function () {
  "use strict";
  var script = document.currentScript;
  var view = script.dataset.view; // "board" or "projector"
  var questions = new Map();
  var polls = new Map(); // poll step id -> chart data
  var projectorPoll = null; // the poll the projector shows instead of the questions
  var approvedOnly = false;
  var filter = "open";
  var list = document.getElementById("questions");
  var empty = document.getElementById("empty");
  var template = document.getElementById("question-template");
  var connection = document.getElementById("connection");
  var source = null;
  var retryTimer = null;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;

  function setConnection(state, text) {
    if (!connection) return;
    connection.className = "connection connection-" + state;
    connection.textContent = text;
  }

  function apply(event) {
    if (event.type === "snapshot") {
      questions.clear();
      nodes.forEach(function (node, id) { if (!event.questions.some(function (q) { return q.id === id; })) nodes.delete(id); });
      event.questions.forEach(function (q) { questions.set(q.id, q); });
      polls.clear();
      (event.polls || []).forEach(function (p) { polls.set(p.step_id, p); });
      approvedOnly = !!event.projector_approved_only;
      projectorPoll = event.projector_poll || null;
    } else if (event.type === "question") {
      questions.set(event.question.id, event.question);
    } else if (event.type === "question_removed") {
      questions.delete(event.id);
      nodes.delete(event.id);
    } else if (event.type === "poll") {
      // Charts are counted on any web process: one counted earlier may arrive later; keep the newest.
      var shown = polls.get(event.poll.step_id);
      if (!(shown && event.poll.version && shown.version > event.poll.version)) polls.set(event.poll.step_id, event.poll);
    } else if (event.type === "settings") {
      approvedOnly = !!event.projector_approved_only;
      if ("projector_poll" in event) projectorPoll = event.projector_poll || null;
    }
    render();
    renderPolls();
  }

  var pollArea = document.getElementById("polls");

  function renderPolls() {
    if (!pollArea || !window.DripPolls) return;
    var shown = window.DripPolls.render(pollArea, polls, projectorPoll, view);
    if (view === "projector") {
      list.hidden = shown;
      if (shown) empty.hidden = true;
    }
  }

  function shownOnBoard(q) {
    if (filter === "all") return true;
    if (filter === "hidden") return q.hidden;
    if (q.hidden) return false;
    if (filter === "open") return !q.answered;
    return q[filter];
  }

  function shownOnProjector(q) {
    return !q.hidden && (!approvedOnly || q.approved);
  }

  function order(a, b) {
    // Projector: unanswered first. Then starred first, then newest first.
    var first = view === "projector" ? (a.answered - b.answered) : 0;
    return first || (b.starred - a.starred) || b.id - a.id;
  }

  var firstPaint = true; // what the page loaded with does not "arrive"
  var nodes = new Map(); // question id -> its element, reused so the arrival animation plays once

  function card(q) {
    var node = nodes.get(q.id);
    if (!node) {
      node = template.content.firstElementChild.cloneNode(true);
      node.dataset.id = q.id;
      if (!firstPaint) node.classList.add("is-new");
      node.addEventListener("animationend", function () { node.classList.remove("is-new"); });
      nodes.set(q.id, node);
    }
    node.querySelector(".question-body").textContent = q.body;
    node.classList.toggle("is-answered", q.answered);
    node.classList.toggle("is-starred", q.starred);
    node.classList.toggle("is-hidden", q.hidden);
    if (view === "board") {
      fillRefile(node);
      node.querySelector(".question-who").textContent = q.learner_name;
      node.querySelector(".question-time").textContent = q.time;
      var flags = node.querySelector(".question-flags");
      flags.replaceChildren();
      ["approved", "answered", "hidden"].forEach(function (name) {
        if (!q[name]) return;
        var badge = document.createElement("span");
        badge.className = "badge rounded-pill text-bg-light border ms-1";
        badge.textContent = name;
        flags.appendChild(badge);
      });
      node.querySelectorAll("[data-mark]").forEach(function (button) {
        var on = q[button.dataset.mark];
        button.setAttribute("aria-pressed", on ? "true" : "false");
        button.classList.toggle("active", on);
        button.textContent = labels[button.dataset.mark][on ? 1 : 0];
      });
    }
    return node;
  }

  var refileOptions = JSON.parse((document.getElementById("refile-options") || {}).textContent || "[]");
  var post = function (url, body) { return window.DripActions.post(url, body, csrf); };
  var fillRefile = function (node) { window.DripActions.fillRefile(node, refileOptions); };

  function refile(id, target) {
    post(script.dataset.refile.replace(/\/0\/refile$/, "/" + id + "/refile"), { target: target })
      .then(function () {
        questions.delete(id);
        nodes.delete(id);
        render();
        setConnection("live", "Moved");
      })
      .catch(function () { setConnection("error", "Could not move, try again"); });
  }

  function project(stepId) {
    post(script.dataset.projector, { poll: stepId })
      .then(function (event) { apply(event); })
      .catch(function () { setConnection("error", "Could not switch the projector"); });
  }

  var labels = {
    answered: ["Answered", "Reopen"], starred: ["Star", "Unstar"],
    approved: ["Approve", "Unapprove"], hidden: ["Hide", "Show"]
  };

  function render() {
    var all = Array.from(questions.values());
    var shown = all.filter(view === "projector" ? shownOnProjector : shownOnBoard).sort(order);
    var wanted = shown.map(card);
    // Move only what changed place: re-inserting every node would restart animations and steal clicks.
    Array.from(list.children).forEach(function (child) {
      if (wanted.indexOf(child) < 0) child.remove();
    });
    wanted.forEach(function (node, index) {
      if (list.children[index] !== node) list.insertBefore(node, list.children[index] || null);
    });
    empty.hidden = shown.length > 0;
    if (view === "board") {
      var counts = {
        open: all.filter(function (q) { return !q.hidden && !q.answered; }).length,
        starred: all.filter(function (q) { return !q.hidden && q.starred; }).length,
        answered: all.filter(function (q) { return !q.hidden && q.answered; }).length,
        hidden: all.filter(function (q) { return q.hidden; }).length,
        all: all.length
      };
      document.querySelectorAll("[data-count]").forEach(function (badge) {
        badge.textContent = counts[badge.dataset.count];
      });
    }
  }

  function fetchSnapshot() {
    return fetch(script.dataset.questions, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected || response.status === 401) { window.location.reload(); return; }
        if (response.ok) return response.json().then(apply);
      })
      .catch(function () { /* offline: the next reconnection catches up */ });
  }

  function connect() {
    clearTimeout(retryTimer);
    source = new EventSource(script.dataset.events);
    source.onopen = function () { setConnection("live", "Live"); };
    source.onmessage = function (message) { apply(JSON.parse(message.data)); };
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        // Refused (server busy) or signed out: catch up by fetching, then try the stream again.
        setConnection("waiting", "Reconnecting…");
        fetchSnapshot();
        retryTimer = setTimeout(connect, 2000 + Math.random() * 2000);
      } else {
        setConnection("waiting", "Reconnecting…");
      }
    };
  }

  function mark(id, name, value) {
    var url = script.dataset.mark.replace(/\/0$/, "/" + id);
    var q = questions.get(id);
    var before = q[name];
    q[name] = value;
    render();
    post(url, { mark: name, value: value }).then(function (saved) {
      questions.set(saved.id, saved);
      render();
    }).catch(function () {
      q[name] = before;
      render();
      setConnection("error", "Could not save, try again");
    });
  }

  if (view === "board") {
    list.addEventListener("click", function (event) {
      var go = event.target.closest("[data-refile-go]");
      if (go) {
        var card = go.closest("[data-id]");
        refile(Number(card.dataset.id), card.querySelector("[data-refile]").value);
        return;
      }
      var button = event.target.closest("[data-mark]");
      if (!button) return;
      var id = Number(button.closest("[data-id]").dataset.id);
      mark(id, button.dataset.mark, !questions.get(id)[button.dataset.mark]);
    });
    if (pollArea) {
      pollArea.addEventListener("click", function (event) {
        var button = event.target.closest("[data-project]");
        if (!button) return;
        var stepId = Number(button.dataset.project);
        project(projectorPoll === stepId ? null : stepId);
      });
    }
    document.querySelectorAll("[data-filter]").forEach(function (tab) {
      tab.addEventListener("click", function () {
        filter = tab.dataset.filter;
        document.querySelectorAll("[data-filter]").forEach(function (other) {
          other.classList.toggle("active", other === tab);
        });
        render();
      });
    });
  }

  apply(JSON.parse(document.getElementById("board-snapshot").textContent));
  firstPaint = false;
  connect();
  window.addEventListener("beforeunload", function () { if (source) source.close(); });
})();
