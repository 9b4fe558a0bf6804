// The live message pane of a chat room: one WebSocket on /ws/chat/<room>/ (the session
// cookie authenticates it). Posting goes through the socket; posted, edited and deleted
// messages arrive as frames and are appended or updated in place.
(function () {
  "use strict";
  var root = document.getElementById("chat-room");
  if (!root) return;
  var list = document.getElementById("chat-messages");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-body");
  var errorBox = document.getElementById("chat-error");
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var socket = new WebSocket(scheme + window.location.host + "/ws/chat/" + root.dataset.room + "/");

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  function render(message) {
    var item = document.getElementById("message-" + message.id);
    if (!item) {
      item = document.createElement("li");
      item.id = "message-" + message.id;
      item.className = "chat-message";
      item.dataset.id = message.id;
      list.appendChild(item);
    }
    item.textContent = "";
    var author = document.createElement("span");
    author.className = "chat-message__author";
    author.textContent = message.author_name;
    item.appendChild(author);
    if (message.reply_to) {
      var reply = document.createElement("span");
      reply.className = "muted chat-message__reply";
      reply.textContent = "\u21b3";
      item.appendChild(reply);
    }
    var body = document.createElement("span");
    body.className = "chat-message__body";
    if (message.deleted_at) {
      item.classList.add("chat-message--deleted");
      body.textContent = root.dataset.deleted;
    } else {
      body.textContent = message.body;
    }
    item.appendChild(body);
    if (message.edited_at && !message.deleted_at) {
      var edited = document.createElement("span");
      edited.className = "muted chat-message__edited";
      edited.textContent = "(" + root.dataset.edited + ")";
      item.appendChild(edited);
    }
    list.scrollTop = list.scrollHeight;
  }

  socket.addEventListener("open", function () {
    root.dataset.connected = "true";
  });
  socket.addEventListener("message", function (event) {
    var frame = JSON.parse(event.data);
    if (frame.type === "error") {
      showError(frame.error.message);
      return;
    }
    if (frame.message) {
      showError("");
      render(frame.message);
    }
  });
  socket.addEventListener("close", function (event) {
    if (event.code !== 1000) showError(root.dataset.offline);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ action: "post", body: text }));
    input.value = "";
  });
  list.scrollTop = list.scrollHeight;
})();
