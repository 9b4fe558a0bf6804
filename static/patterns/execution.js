// The live step timeline of an execution: one WebSocket on
// /ws/events/?pattern=<key>&after=<cursor> (the session cookie authenticates it). The page was
// rendered with every event up to the cursor applied; later events of this execution update
// the step rows and the status badge in place. A dropped socket reconnects after the last
// event it saw, so nothing is missed. Every visible string comes from the template.
(function () {
  "use strict";
  var root = document.getElementById("execution");
  if (!root) return;
  var labels = JSON.parse(document.getElementById("status-labels").textContent);
  var executionId = root.dataset.execution;
  var after = parseInt(root.dataset.after, 10) || 0;
  var live = document.getElementById("execution-live");
  var finished = ["succeeded", "failed", "cancelled", "compensated"];
  var finishEvents = {
    pattern_executed: "succeeded",
    pattern_failed: "failed",
    pattern_compensated: "compensated",
    pattern_cancelled: "cancelled",
  };
  var retryDelay = 1000;
  var socket = null;

  function setBadge(container, status, kind) {
    var badge = container.querySelector(".status-badge");
    if (!badge) return;
    badge.className = "badge status-badge status-badge--" + status;
    badge.dataset.status = status;
    badge.textContent = labels[kind][status] || status;
  }

  function setExecutionStatus(status) {
    root.dataset.status = status;
    setBadge(document.getElementById("execution-status"), status, "execution");
    if (finished.indexOf(status) !== -1) {
      var cancel = document.getElementById("cancel-form");
      if (cancel) cancel.hidden = true;
    }
  }

  function stepRow(stepId) {
    var rows = document.querySelectorAll("#step-timeline tr.step-row");
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].dataset.step === stepId) return rows[i];
    }
    return null;
  }

  function setStep(stepId, status, payload) {
    var row = stepRow(stepId);
    if (!row) return;
    setBadge(row.querySelector(".step-row__status"), status, "step");
    row.dataset.status = status;
    if (payload.attempt !== undefined) {
      row.querySelector(".step-row__attempts").textContent = payload.attempt;
    }
    if (payload.duration_ms !== undefined && payload.duration_ms !== null) {
      row.querySelector(".step-row__duration").textContent = Math.round(payload.duration_ms) + " ms";
    }
    var error = row.querySelector(".step-row__error");
    if (payload.error && payload.error.message) {
      error.textContent = payload.error.message;
    } else if (status === "succeeded") {
      error.textContent = "";
    }
  }

  function finish(status, payload) {
    // The run ended: steps it never reached were skipped (the server marks them so too).
    var rows = document.querySelectorAll("#step-timeline tr.step-row");
    for (var i = 0; i < rows.length; i++) {
      var badge = rows[i].querySelector(".status-badge");
      var current = badge ? badge.dataset.status : "";
      if (current === "pending" || current === "running") setStep(rows[i].dataset.step, "skipped", {});
    }
    setExecutionStatus(status);
    if (payload.duration_ms !== undefined && payload.duration_ms !== null) {
      document.getElementById("execution-duration").textContent =
        (payload.duration_ms / 1000).toFixed(2) + " s";
    }
    var box = document.getElementById("execution-error");
    if (payload.error && payload.error.message) {
      box.textContent = (payload.error.step ? payload.error.step + ": " : "") + payload.error.message;
      box.hidden = false;
    }
    refreshResults();
  }

  // What the finished run created and each step's output, as the server now renders them
  // (links through the viewer's access): the same page read again, those parts swapped in.
  function refreshResults() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var created = fresh.getElementById("execution-created");
        var mine = document.getElementById("execution-created");
        if (created && mine) mine.replaceWith(document.importNode(created, true));
        fresh.querySelectorAll("#step-timeline tr.step-row").forEach(function (row) {
          var here = stepRow(row.dataset.step);
          var output = row.querySelector(".step-row__output");
          if (here && output) {
            here.querySelector(".step-row__output").replaceWith(document.importNode(output, true));
          }
        });
      })
      .catch(function () { /* the page still shows the run; a reload shows the rest */ });
  }

  function apply(event) {
    var payload = event.payload || {};
    if (payload.execution !== executionId) return;
    if (event.type === "pattern_started") {
      setExecutionStatus("running");
    } else if (event.type === "step_succeeded") {
      setStep(payload.step, "succeeded", payload);
    } else if (event.type === "step_failed") {
      setStep(payload.step, payload.will_retry ? "pending" : "failed", payload);
    } else if (event.type === "step_compensated") {
      setStep(payload.step, "compensated", {});
    } else if (finishEvents[event.type]) {
      finish(payload.status || finishEvents[event.type], payload);
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var query = "?pattern=" + encodeURIComponent(root.dataset.pattern) + "&after=" + after;
    socket = new WebSocket(scheme + window.location.host + "/ws/events/" + query);
    socket.addEventListener("open", function () {
      root.dataset.connected = "true";
      live.hidden = true;
      retryDelay = 1000;
    });
    socket.addEventListener("message", function (message) {
      var event = JSON.parse(message.data);
      if (typeof event.id === "number" && event.id > after) after = event.id;
      apply(event);
      if (finished.indexOf(root.dataset.status) !== -1) socket.close(1000);
    });
    socket.addEventListener("close", function (closing) {
      root.dataset.connected = "false";
      if (finished.indexOf(root.dataset.status) !== -1) return;
      if (closing.code === 4401 || closing.code === 4400 || closing.code === 4403) return;
      live.textContent = root.dataset.offline;
      live.hidden = false;
      window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    });
  }

  if (finished.indexOf(root.dataset.status) === -1) connect();
})();
