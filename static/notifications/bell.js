// The header's bell: one WebSocket on /ws/events/?types=notification,notification_read (the
// session cookie authenticates it; the server sends the caller's own, and staff everyone's,
// so the payload's recipient is compared with the user). When a
// notification arrives or some are marked read (on any of the user's pages), the unread count
// is read again from the API and shown; a dropped socket reconnects and reads it once more.
// No visible string lives here: the count is a number.
(() => {
  "use strict";
  const bell = document.getElementById("notification-bell");
  const count = document.getElementById("notification-count");
  if (!bell || !count || !("WebSocket" in window)) return;
  const types = "notification,notification_read";
  let retryDelay = 1000;
  let dropped = false;

  async function refresh() {
    const response = await fetch(bell.dataset.countUrl, {
      credentials: "same-origin",
      headers: {Accept: "application/json"},
    });
    if (!response.ok) return;
    const body = await response.json();
    const unread = Number(body.unread) || 0;
    count.textContent = String(unread);
    count.hidden = unread === 0;
    bell.dataset.refreshed = String(Number(bell.dataset.refreshed || 0) + 1);
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(`${scheme}${window.location.host}/ws/events/?types=${types}`);
    socket.addEventListener("open", () => {
      bell.dataset.connected = "true";
      retryDelay = 1000;
      if (dropped) refresh().catch(() => {});
    });
    socket.addEventListener("message", (message) => {
      // Staff see every event: only this user's own notifications move this bell.
      const event = JSON.parse(message.data);
      if (event.payload && event.payload.recipient === bell.dataset.user) refresh().catch(() => {});
    });
    socket.addEventListener("close", (closing) => {
      bell.dataset.connected = "false";
      if (closing.code === 4401 || closing.code === 4400 || closing.code === 4403) return;
      dropped = true;
      window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    });
  }

  connect();
})();
