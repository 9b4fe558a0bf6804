// The live board: one WebSocket on /ws/events/?types=task_created,task_status_changed,
// task_updated,task_deleted (the session cookie authenticates it; the server sends only events
// of objects the user may see). When a task of this project is added, moves, is edited (title,
// assignee, priority, ...) or is deleted, the board's cards are read again from the
// page itself (the same HTML the server renders, with its translated labels) and swapped in,
// column by column, keeping the focused card focused. A dropped socket reconnects and reads
// the board once more, so nothing is missed. No visible string lives here.
(() => {
  "use strict";
  const board = document.getElementById("kanban");
  if (!board || !board.dataset.project || !("WebSocket" in window)) return;
  const types = "task_created,task_status_changed,task_updated,task_deleted";
  let timer = null;
  let retryDelay = 1000;
  let dropped = false;

  async function refresh() {
    const response = await fetch(window.location.pathname, {
      credentials: "same-origin",
      headers: {Accept: "text/html"},
    });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const freshBoard = fresh.getElementById("kanban");
    if (!freshBoard) return;
    const focused = document.activeElement && document.activeElement.closest(".kanban-card");
    const focusId = focused ? focused.id : null;
    board.querySelectorAll(".kanban__column").forEach((column) => {
      const other = freshBoard.querySelector(`.kanban__column[data-status="${column.dataset.status}"]`);
      if (!other) return;
      column.querySelector(".kanban__cards").replaceWith(document.importNode(other.querySelector(".kanban__cards"), true));
      column.querySelector(".kanban__count").textContent = other.querySelector(".kanban__count").textContent;
    });
    const completion = document.getElementById("project-completion");
    const freshCompletion = fresh.getElementById("project-completion");
    if (completion && freshCompletion) completion.replaceChildren(...Array.from(freshCompletion.childNodes, (node) => document.importNode(node, true)));
    if (focusId && document.getElementById(focusId)) document.getElementById(focusId).focus();
    board.dataset.refreshed = String(Number(board.dataset.refreshed || 0) + 1);
  }

  function soon() {
    window.clearTimeout(timer);
    // A card being dragged or moved by this page is left alone until it lands.
    timer = window.setTimeout(() => {
      if (board.querySelector(".is-moving")) soon();
      else refresh().catch(() => {});
    }, 200);
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(`${scheme}${window.location.host}/ws/events/?types=${types}`);
    socket.addEventListener("open", () => {
      board.dataset.connected = "true";
      retryDelay = 1000;
      if (dropped) soon();
    });
    socket.addEventListener("message", (message) => {
      const event = JSON.parse(message.data);
      if (event.payload && event.payload.project === board.dataset.project) soon();
    });
    socket.addEventListener("close", (closing) => {
      board.dataset.connected = "false";
      if (closing.code === 4401 || closing.code === 4400 || closing.code === 4403) return;
      dropped = true;
      window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    });
  }

  connect();
})();
