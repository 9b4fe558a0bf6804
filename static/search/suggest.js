// The header's search box suggests as you type: after a short pause, the first titles that
// match, from GET /api/v1/search/?titles=true (the session authenticates it), appear under the
// box as links; Enter still opens the full results page (words inside the text too). Kind names come from the page (json_script), never from here.
(() => {
  "use strict";
  const form = document.getElementById("header-search");
  const input = document.getElementById("header-search-input");
  const list = document.getElementById("header-search-suggestions");
  const labelsNode = document.getElementById("search-kind-labels");
  if (!form || !input || !list || !labelsNode || !window.fetch) return;
  const labels = JSON.parse(labelsNode.textContent);
  const MIN_LENGTH = 2;
  const PAUSE_MS = 200;
  let timer = null;
  let asked = 0;

  function close() {
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
  }

  function show(results) {
    list.replaceChildren();
    for (const hit of results) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = hit.url;
      link.className = "header-search__suggestion";
      link.dataset.type = hit.type;
      const title = document.createElement("span");
      title.textContent = hit.title || "…";
      const kind = document.createElement("span");
      kind.className = "header-search__kind";
      kind.textContent = labels[hit.type] || hit.type;
      link.append(title, kind);
      item.append(link);
      list.append(item);
    }
    list.hidden = results.length === 0;
    input.setAttribute("aria-expanded", String(results.length > 0));
  }

  async function suggest() {
    const q = input.value.trim();
    if (q.length < MIN_LENGTH) {
      close();
      return;
    }
    const mine = ++asked;
    const url = `${form.dataset.apiUrl}?${new URLSearchParams({q, limit: "6", titles: "true"})}`;
    const response = await fetch(url, {
      credentials: "same-origin",
      headers: {Accept: "application/json"},
    });
    if (mine !== asked) return; // a newer question is on its way
    if (!response.ok) {
      close();
      return;
    }
    show((await response.json()).results);
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => suggest().catch(close), PAUSE_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
    if (event.key === "ArrowDown" && !list.hidden) {
      event.preventDefault();
      list.querySelector("a")?.focus();
    }
  });
  list.addEventListener("keydown", (event) => {
    const links = [...list.querySelectorAll("a")];
    const at = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at < links.length - 1) {
      event.preventDefault();
      links[at + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (at > 0 ? links[at - 1] : input).focus();
    } else if (event.key === "Escape") {
      close();
      input.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (!form.contains(event.target)) close();
  });
})();
