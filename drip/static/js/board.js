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
  var sortBy = "time"; // "time" (newest first) or "votes" (most voted first), the session's setting
  var filter = "open";
  var list = document.getElementById("questions");
  var empty = document.getElementById("empty");
  var template = document.getElementById("question-template");
  var connection = document.getElementById("connection");
  var source = null;
  var retryTimer = null;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;

  var openTimer = null;
  var pollTimer = null;
  var STREAM_PATIENCE = 8000; // a stream not open by then is not coming (busy server, or the browser's per-site connection limit)
  var POLL_EVERY = 10000;

  function setConnection(state, text) {
    if (!connection) return;
    connection.className = (view === "projector" ? "projector-connection" : "connection") + " connection-" + state;
    connection.textContent = text;
    // The projector says nothing while all is well: the room needs the session's state, not the socket's.
    if (view === "projector") connection.hidden = state === "live";
  }

  function clock() {
    return new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function startPolling() {
    if (pollTimer) return;
    pollTimer = setInterval(fetchSnapshot, POLL_EVERY);
    fetchSnapshot();
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  function armFallback() {
    if (openTimer) return;
    openTimer = setTimeout(function () {
      openTimer = null;
      if (source) source.close();
      startPolling();
      setConnection("waiting", "Live updates unavailable: refreshing every " + POLL_EVERY / 1000 + " s");
      clearTimeout(retryTimer);
      retryTimer = setTimeout(connect, 30000 + Math.random() * 10000);
    }, STREAM_PATIENCE);
  }

  function showPhase() {
    var body = document.body;
    var phase = document.getElementById("phase");
    if (view !== "projector" || !phase) return;
    var now = Date.now();
    var current = body.dataset.phase;
    if (current !== "cancelled") {
      current = now < Date.parse(body.dataset.opens) ? "upcoming" : now <= Date.parse(body.dataset.closes) ? "live" : "past";
    }
    body.dataset.phase = current;
    phase.textContent = phase.dataset[current];
    phase.className = "projector-phase phase-" + current;
    document.getElementById("ask").hidden = current === "past" || current === "cancelled";
    document.getElementById("ended").hidden = current !== "past";
  }

  function apply(event) {
    if (event.type === "snapshot") {
      questions.clear();
      nodes.forEach(function (node, id) { if (!event.questions.some(function (q) { return q.id === id; })) nodes.delete(id); });
      event.questions.forEach(function (q) { questions.set(q.id, q); });
      polls.clear();
      (event.polls || []).forEach(function (p) { polls.set(p.step_id, p); });
      approvedOnly = event.moderation !== "open";
      projectorPoll = event.projector_poll || null;
      sortBy = event.order || "time";
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
      if ("moderation" in event) {
        var before = approvedOnly;
        approvedOnly = event.moderation !== "open";
        // The projector's copy leaves out the text of questions not shown: fetch them when they may be now.
        if (view === "projector" && before !== approvedOnly) fetchSnapshot();
      }
      if ("projector_poll" in event) projectorPoll = event.projector_poll || null;
      if ("order" in event) sortBy = event.order || "time";
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
    // Projector: unanswered first. Then starred first, then (when sorting by votes) most voted, then newest first.
    var first = view === "projector" ? (a.answered - b.answered) : 0;
    var votes = sortBy === "votes" ? (b.votes || 0) - (a.votes || 0) : 0;
    return first || (b.starred - a.starred) || votes || b.id - a.id;
  }

  function showVotes(node, q) {
    var box = node.querySelector(".question-votes");
    if (!box) return;
    var count = q.votes || 0;
    box.hidden = count === 0;
    box.textContent = "▲ " + count;
    box.setAttribute("aria-label", count + (count === 1 ? " vote" : " votes"));
  }

  var firstPaint = true; // what the page loaded with does not "arrive"
  var nodes = new Map(); // question id -> its element, reused so the arrival animation plays once

  // A learner's MMS pictures, kept at Drip's own /m/ addresses: thumbnails linking to the picture.
  function showPictures(box, pictures) {
    if (!box) return; // the projector shows the words only
    box.replaceChildren();
    pictures.forEach(function (picture) {
      var link = document.createElement("a");
      link.href = picture.url;
      link.target = "_blank";
      link.rel = "noopener";
      var image = document.createElement("img");
      image.src = picture.thumbnail_url || picture.url;
      image.alt = picture.alt;
      image.className = "reply-picture rounded border";
      link.appendChild(image);
      box.appendChild(link);
    });
    box.hidden = pictures.length === 0;
  }

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
    showVotes(node, q);
    showPictures(node.querySelector(".question-pictures"), q.pictures || []);
    node.classList.toggle("is-answered", q.answered);
    node.classList.toggle("is-starred", q.starred);
    node.classList.toggle("is-hidden", q.hidden);
    if (view === "board") {
      fillRefile(node);
      node.querySelector(".question-who").textContent = q.learner_name;
      node.querySelector(".question-time").textContent = q.time;
      var flags = node.querySelector(".question-flags");
      flags.replaceChildren();
      var waiting = approvedOnly && !q.approved && !q.hidden;
      node.classList.toggle("is-waiting", waiting);
      if (waiting) flags.appendChild(badge("waiting for your approval", "text-bg-warning"));
      ["approved", "answered", "hidden"].forEach(function (name) {
        if (q[name]) flags.appendChild(badge(name, "text-bg-light border"));
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

  function badge(text, style) {
    var element = document.createElement("span");
    element.className = "badge rounded-pill ms-1 " + style;
    element.textContent = text;
    return element;
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
    document.querySelectorAll("[data-order]").forEach(function (button) {
      var on = button.dataset.order === sortBy;
      button.classList.toggle("active", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
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
        if (!response.ok) throw new Error(response.status);
        return response.json().then(function (data) {
          apply(data);
          if (pollTimer) setConnection("waiting", "Live updates unavailable: refreshing every " + POLL_EVERY / 1000 + " s · updated " + clock());
        });
      })
      .catch(function () {
        setConnection("error", "Cannot reach Drip · last tried " + clock() + " · retrying");
      });
  }

  function connect() {
    clearTimeout(retryTimer);
    if (source) source.close();
    source = new EventSource(script.dataset.events);
    armFallback();
    source.onopen = function () {
      clearTimeout(openTimer);
      openTimer = null;
      stopPolling();
      setConnection("live", "Up to date");
    };
    source.onmessage = function (message) { apply(JSON.parse(message.data)); };
    source.onerror = function () {
      if (pollTimer) return; // already refreshing by hand; the status line says so
      if (source.readyState === EventSource.CLOSED) {
        // Refused (server busy) or signed out: catch up by fetching, then try the stream again.
        setConnection("waiting", "Reconnecting…");
        fetchSnapshot();
        clearTimeout(openTimer);
        openTimer = null;
        retryTimer = setTimeout(connect, 2000 + Math.random() * 2000);
      } else {
        setConnection("waiting", "Reconnecting…");
        armFallback();
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
        var target = card.querySelector("[data-refile]").value;
        if (target) refile(Number(card.dataset.id), target);
        return;
      }
      var button = event.target.closest("[data-mark]");
      if (!button) return;
      var id = Number(button.closest("[data-id]").dataset.id);
      mark(id, button.dataset.mark, !questions.get(id)[button.dataset.mark]);
    });
    // One key on the focused question: A approves, S stars, D marks it answered (done), H hides.
    var KEYS = { a: "approved", s: "starred", d: "answered", h: "hidden" };
    list.addEventListener("keydown", function (event) {
      if (event.target.closest("select, input, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
      var name = KEYS[event.key.toLowerCase()];
      var cardNode = event.target.closest("[data-id]");
      if (!name || !cardNode) return;
      event.preventDefault();
      var id = Number(cardNode.dataset.id);
      mark(id, name, !questions.get(id)[name]);
    });
    if (pollArea) {
      pollArea.addEventListener("click", function (event) {
        var button = event.target.closest("[data-project]");
        if (!button) return;
        var stepId = Number(button.dataset.project);
        project(projectorPoll === stepId ? null : stepId);
      });
    }
    document.querySelectorAll("[data-order]").forEach(function (button) {
      button.addEventListener("click", function () {
        post(button.dataset.url, { order: button.dataset.order }).then(function (saved) {
          apply({ type: "settings", order: saved.order });
        }).catch(function () { setConnection("error", "Could not change the order, try again"); });
      });
    });
    document.querySelectorAll("[data-filter]").forEach(function (tab) {
      tab.addEventListener("click", function () {
        filter = tab.dataset.filter;
        document.querySelectorAll("[data-filter]").forEach(function (other) {
          other.classList.toggle("active", other === tab);
          other.setAttribute("aria-pressed", other === tab ? "true" : "false");
        });
        render();
      });
    });
  }

  apply(JSON.parse(document.getElementById("board-snapshot").textContent));
  firstPaint = false;
  showPhase();
  setInterval(showPhase, 15000);
  connect();
  window.addEventListener("beforeunload", function () { if (source) source.close(); });
})();
