// The live message pane of a chat room: one WebSocket on /ws/chat/<room>/ (the session
// cookie authenticates it). Posting, editing and deleting go through the socket; posted,
// edited and deleted messages arrive as frames and are added (replies under their thread's
// root) or updated in place. Every visible string comes from the template's data attributes.
// A dropped socket reconnects with ?after=<cursor of the last change seen> (the page's render
// time before any frame), so the messages sent meanwhile arrive first and nothing is lost;
// a socket the server closed for access (44xx) or revocation stays closed.
// What the user typed stays in the box until the server accepted it (their own message comes
// back as a frame); a refused post or edit shows the error and keeps the text. Times show in
// one format, the page's language and the user's time zone, for rendered and live messages.
(function () {
  "use strict";
  var root = document.getElementById("chat-room");
  if (!root) return;
  var text = root.dataset;
  var list = document.getElementById("chat-messages");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-body");
  var attachment = document.getElementById("chat-attachment");
  var errorBox = document.getElementById("chat-error");
  var context = document.getElementById("chat-context");
  var contextText = document.getElementById("chat-context-text");
  var contextCancel = document.getElementById("chat-context-cancel");
  var isAdmin = text.admin === "true";
  var mode = null; // null, {reply: id} or {edit: id}
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var address = scheme + window.location.host + "/ws/chat/" + text.room + "/";
  var cursor = text.cursor || "";
  var retries = 0;
  var socket = null;
  var pending = null; // the post or edit sent and not yet accepted: {body, edit?}
  var timeFormat = makeTimeFormat();

  function makeTimeFormat() {
    var options = { dateStyle: "short", timeStyle: "short" };
    var language = document.documentElement.lang || undefined;
    try {
      return new Intl.DateTimeFormat(language, Object.assign({ timeZone: text.timeZone }, options));
    } catch (error) {
      return new Intl.DateTimeFormat(language, options); // an unknown zone: the browser's
    }
  }

  function showTime(node, iso) {
    node.dateTime = iso;
    node.textContent = timeFormat.format(new Date(iso));
  }

  function errorText(error) {
    // The message, then each detail it does not already say (as the pages do).
    var message = String(error.message || "");
    var parts = [message];
    Object.keys(error.details || {}).forEach(function (key) {
      var value = error.details[key];
      (Array.isArray(value) ? value : [value]).forEach(function (item) {
        var problem = String(item);
        if (problem && message.indexOf(problem) === -1 && parts.indexOf(problem) === -1) {
          parts.push(problem);
        }
      });
    });
    return parts.slice(0, 6).join(" ");
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function actionButton(action, label) {
    var button = element("button", "button button--ghost button--small", label);
    button.type = "button";
    button.dataset.action = action;
    return button;
  }

  function fill(item, message, inThread) {
    var thread = item.querySelector(":scope > .chat-thread");
    item.textContent = "";
    item.className = "chat-message";
    if (message.deleted_at) item.classList.add("chat-message--deleted");
    if (message.reply_to) item.classList.add("chat-message--reply");
    item.dataset.author = message.author || "";
    var head = element("div", "chat-message__head");
    head.appendChild(element("span", "chat-message__author", message.author_name));
    if (message.reply_to && !inThread) {
      var marker = element("span", "muted chat-message__reply", "\u21b3");
      marker.title = text.reply;
      head.appendChild(marker);
    }
    var time = element("time", "muted chat-message__time");
    showTime(time, message.created_at);
    head.appendChild(time);
    item.appendChild(head);
    var body = element("p", "chat-message__body", message.deleted_at ? text.deleted : message.body);
    body.dir = "auto";
    item.appendChild(body);
    if (message.edited_at && !message.deleted_at) {
      item.appendChild(element("span", "muted chat-message__edited", "(" + text.edited + ")"));
    }
    if (message.attachments && message.attachments.length) {
      var files = element("ul", "chat-attachments");
      files.setAttribute("aria-label", text.attachments);
      message.attachments.forEach(function (file) {
        var link = element("a", "", file.name);
        // Through the message: readers of the room hold no grant on the file itself.
        link.href = "/chat/" + message.room + "/messages/" + message.id + "/attachments/" + file.id + "/";
        link.setAttribute("download", "");
        var entry = element("li");
        entry.appendChild(link);
        files.appendChild(entry);
      });
      item.appendChild(files);
    }
    if (!message.deleted_at) {
      var actions = element("div", "chat-message__actions");
      var mine = message.author === text.user;
      actions.appendChild(actionButton("reply", text.reply));
      if (mine) actions.appendChild(actionButton("edit", text.edit));
      if (mine || isAdmin) actions.appendChild(actionButton("delete", text.delete));
      item.appendChild(actions);
    }
    if (!inThread) {
      if (!thread) {
        thread = element("ol", "chat-thread");
        thread.setAttribute("aria-label", text.replies);
      }
      item.appendChild(thread);
    }
  }

  function accepted(type, message, isNew) {
    // The server took what this page sent: the box may be cleared now, unless it was edited
    // meanwhile.
    if (!pending || message.author !== text.user) return false;
    if (pending.edit) {
      if (type !== "message_edited" || message.id !== pending.edit || message.body !== pending.body) return false;
    } else if (type !== "message_posted" || !isNew || message.body !== pending.body) {
      return false;
    }
    pending = null;
    form.removeAttribute("aria-busy");
    return true;
  }

  function render(message) {
    var item = document.getElementById("message-" + message.id);
    var parent = message.reply_to && document.getElementById("message-" + message.reply_to);
    var thread = parent && parent.querySelector(":scope > .chat-thread");
    if (!item) {
      item = element("li");
      item.id = "message-" + message.id;
      item.dataset.id = message.id;
      (thread || list).appendChild(item);
      if (!thread) list.scrollTop = list.scrollHeight;
    }
    fill(item, message, Boolean(thread) && item.parentNode === thread);
    if (mode && mode.edit === message.id && message.deleted_at) setMode(null);
  }

  function setMode(next, label) {
    pending = null;
    form.removeAttribute("aria-busy");
    mode = next;
    context.hidden = !next;
    contextText.textContent = next ? label : "";
    attachment.disabled = Boolean(next && next.edit);
    if (!next) input.value = "";
    input.focus();
  }

  function send(frame) {
    if (socket.readyState !== WebSocket.OPEN) {
      showError(text.offline);
      return false;
    }
    socket.send(JSON.stringify(frame));
    return true;
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) return;
    var item = button.closest(".chat-message");
    var id = item.dataset.id;
    var action = button.dataset.action;
    if (action === "reply") {
      var name = item.querySelector(".chat-message__author").textContent;
      setMode({ reply: id }, text.replying.replace("%(name)s", name));
    } else if (action === "edit") {
      setMode({ edit: id }, text.editing);
      input.value = item.querySelector(".chat-message__body").textContent;
    } else if (action === "delete" && window.confirm(text.confirmDelete)) {
      send({ action: "delete", message: id });
    }
  });
  contextCancel.addEventListener("click", function () {
    setMode(null);
  });

  function connect() {
    socket = new WebSocket(address + (cursor ? "?after=" + encodeURIComponent(cursor) : ""));
    socket.addEventListener("open", function () {
      retries = 0;
      root.dataset.connected = "true";
      showError("");
    });
    socket.addEventListener("message", function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "error") {
        showError(errorText(frame.error));
        pending = null; // refused: the text stays in the box to fix and send again
        form.removeAttribute("aria-busy");
        return;
      }
      if (frame.cursor && frame.cursor > cursor) cursor = frame.cursor; // fixed-width UTC
      if (frame.message) {
        var isNew = !document.getElementById("message-" + frame.message.id);
        var sent = pending;
        if (accepted(frame.type, frame.message, isNew)) {
          showError("");
          if (input.value.trim() === sent.body) {
            if (!sent.edit) attachment.value = "";
            setMode(null);
          }
        }
        render(frame.message);
      }
    });
    socket.addEventListener("close", function (event) {
      root.dataset.connected = "false";
      if (event.code >= 4400 && event.code < 4500) {
        showError(text.offline); // no access any more, or signed out: reconnecting cannot help
        return;
      }
      showError(text.reconnecting);
      retries += 1;
      window.setTimeout(connect, Math.min(10000, 250 * Math.pow(2, retries)));
    });
  }
  connect();
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = input.value.trim();
    var file = attachment.value;
    if (mode && mode.edit) {
      if (body && send({ action: "edit", message: mode.edit, body: body })) {
        pending = { edit: mode.edit, body: body };
        form.setAttribute("aria-busy", "true");
      }
      return;
    }
    if (!body && !file) return;
    var frame = { action: "post", body: body };
    if (mode && mode.reply) frame.reply_to = mode.reply;
    if (file) frame.attachments = [file];
    if (send(frame)) {
      showError("");
      pending = { body: body };
      form.setAttribute("aria-busy", "true");
    }
  });
  Array.prototype.forEach.call(list.querySelectorAll("time.chat-message__time"), function (node) {
    showTime(node, node.getAttribute("datetime"));
  });
  list.scrollTop = list.scrollHeight;
})();
