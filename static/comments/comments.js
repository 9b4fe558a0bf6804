// The comments thread of a task or document (templates/comments/_thread.html): @ completion
// in every comment box, and a confirmation before a comment is deleted. Everything else is
// plain forms that work without JavaScript. The people offered come from
// GET <data-people-url>?q=<text after @> (only people who can see the task or document);
// choosing one writes "@their@e-mail " in the box. Strings come from the data attributes.
(function () {
  "use strict";
  var root = document.getElementById("comments");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "true";
  var text = root.dataset;
  var TOKEN = /(^|\s)@([^\s@]*)$/;
  var timer = null;
  var asked = 0;

  function tokenBefore(box) {
    var match = TOKEN.exec(box.value.slice(0, box.selectionStart));
    return match ? { query: match[2], start: box.selectionStart - match[2].length - 1 } : null;
  }

  function menuOf(box) {
    return document.getElementById(box.getAttribute("aria-controls"));
  }

  function close(box) {
    var menu = menuOf(box);
    menu.replaceChildren();
    menu.classList.remove("mention-menu--open");
    box.removeAttribute("aria-activedescendant");
  }

  function choose(box, person) {
    var token = tokenBefore(box);
    if (!token) return;
    var before = box.value.slice(0, token.start);
    var after = box.value.slice(box.selectionStart);
    var inserted = "@" + person.email + " ";
    box.value = before + inserted + after;
    var caret = before.length + inserted.length;
    box.setSelectionRange(caret, caret);
    close(box);
    box.focus();
  }

  function show(box, people) {
    var menu = menuOf(box);
    menu.replaceChildren();
    if (!people.length) {
      var empty = document.createElement("li");
      empty.className = "mention-menu__empty muted";
      empty.textContent = text.noMatch;
      menu.appendChild(empty);
    }
    people.forEach(function (person, index) {
      var item = document.createElement("li");
      item.id = menu.id + "-" + index;
      item.className = "mention-menu__item";
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", index === 0 ? "true" : "false");
      var name = document.createElement("span");
      name.textContent = person.name || person.email;
      var email = document.createElement("span");
      email.className = "muted";
      email.dir = "ltr";
      email.textContent = person.email;
      item.append(name, " ", email);
      item.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus (and the caret) in the box
        choose(box, person);
      });
      item.person = person;
      menu.appendChild(item);
    });
    menu.classList.add("mention-menu--open");
    if (people.length) box.setAttribute("aria-activedescendant", menu.id + "-0");
  }

  function lookUp(box) {
    var token = tokenBefore(box);
    if (!token) {
      close(box);
      return;
    }
    var ticket = ++asked;
    fetch(text.peopleUrl + "?q=" + encodeURIComponent(token.query), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : [];
      })
      .then(function (people) {
        if (ticket === asked && tokenBefore(box)) show(box, people);
      })
      .catch(function () {
        close(box);
      });
  }

  function options(box) {
    return Array.prototype.slice.call(menuOf(box).querySelectorAll(".mention-menu__item"));
  }

  function move(box, step) {
    var items = options(box);
    if (!items.length) return;
    var current = items.findIndex(function (item) {
      return item.getAttribute("aria-selected") === "true";
    });
    var next = (current + step + items.length) % items.length;
    items.forEach(function (item, index) {
      item.setAttribute("aria-selected", index === next ? "true" : "false");
    });
    box.setAttribute("aria-activedescendant", items[next].id);
  }

  root.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches("[data-mention-input]")) return;
    clearTimeout(timer);
    timer = setTimeout(function () {
      lookUp(box);
    }, 150);
  });

  root.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box.matches("[data-mention-input]")) return;
    var items = options(box);
    if (!items.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(box, event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" || event.key === "Tab") {
      var selected = items.find(function (item) {
        return item.getAttribute("aria-selected") === "true";
      });
      if (selected) {
        event.preventDefault();
        choose(box, selected.person);
      }
    } else if (event.key === "Escape") {
      close(box);
    }
  });

  root.addEventListener(
    "blur",
    function (event) {
      if (event.target.matches && event.target.matches("[data-mention-input]")) {
        close(event.target);
      }
    },
    true
  );

  root.addEventListener("submit", function (event) {
    if (event.target.hasAttribute("data-confirm") && !window.confirm(text.confirmDelete)) {
      event.preventDefault();
    }
  });
})();
