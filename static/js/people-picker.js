/*
 * People picker: turns a text input into a search box over the people the user may find
 * (accounts/people.py, GET <url>?q=text -> {"results": [{"id", "name", "email"}]}).
 *
 * Markup contract (the page includes this file with <script src=... defer>; no other setup):
 *
 *   <label for="id_person">Person</label>
 *   <input type="text" name="person" id="id_person"
 *          data-people-picker                        required: enhance this input
 *          data-people-url="{% url 'accounts:people' %}"   required: where to search
 *          data-people-value="email"                 optional: what the form sends for a
 *                                                    person, "email" (default) or "id"
 *          data-people-multiple                      optional: several people, sent as one
 *                                                    value joined with ", "
 *          data-people-initial='[{"id": "...", "name": "...", "email": "..."}]'
 *                                                    optional (multiple): people already chosen
 *          data-people-empty="No one found."         optional: said when nothing matches
 *          data-people-remove="Remove"               optional (multiple): a chip's button label
 *          data-people-hint="Type a name">           optional: the search box's placeholder
 *
 * The input keeps its name and becomes hidden: it carries the chosen value(s); a visible search
 * box takes its id (so its <label> still names it). Without JavaScript the input stays a plain
 * text field, so a server must also accept a typed e-mail (accounts.people.person_for does).
 * Typing a full e-mail and leaving the box keeps it as the value.
 *
 * Keyboard: Down/Up move through the suggestions, Enter picks, Escape closes. In multiple
 * mode, Backspace in an empty box removes the last person. The list is laid out with logical
 * properties (right-to-left pages mirror it) and is as wide as the box (phones).
 * Each change fires a "people-picker:change" event on the original input, detail: the people.
 */
(() => {
  "use strict";

  let counter = 0;

  function enhance(input) {
    if (input.dataset.peoplePickerReady) return;
    input.dataset.peoplePickerReady = "true";
    counter += 1;
    const key = input.dataset.peopleValue === "id" ? "id" : "email";
    const multiple = "peopleMultiple" in input.dataset;
    const listId = `people-picker-list-${counter}`;
    let chosen = [];
    try {
      chosen = multiple ? JSON.parse(input.dataset.peopleInitial || "[]") : [];
    } catch (err) {
      chosen = [];
    }

    const wrapper = document.createElement("div");
    wrapper.className = "people-picker";
    const box = document.createElement("input");
    box.type = "text";
    box.className = "people-picker__box";
    box.autocomplete = "off";
    box.spellcheck = false;
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-expanded", "false");
    box.setAttribute("aria-controls", listId);
    box.placeholder = input.dataset.peopleHint || input.placeholder || "";
    ["aria-describedby", "aria-invalid"].forEach((name) => {
      if (input.hasAttribute(name)) box.setAttribute(name, input.getAttribute(name));
    });
    if (input.required && !multiple) box.required = true;
    if (!multiple) box.value = input.value;
    const id = input.id;
    input.id = `${id || listId}-value`;
    if (id) box.id = id;

    const chips = document.createElement("ul");
    chips.className = "people-picker__chosen";
    chips.hidden = !multiple;
    const list = document.createElement("ul");
    list.className = "people-picker__list";
    list.id = listId;
    list.setAttribute("role", "listbox");
    list.hidden = true;

    input.type = "hidden";
    input.parentNode.insertBefore(wrapper, input);
    wrapper.append(input, chips, box, list);

    let results = [];
    let active = -1;
    let timer = null;
    let controller = null;

    function changed() {
      input.dispatchEvent(new CustomEvent("people-picker:change", {bubbles: true, detail: chosen.slice()}));
    }

    function writeValue() {
      if (multiple) input.value = chosen.map((person) => person[key]).join(", ");
      changed();
    }

    function renderChips() {
      chips.replaceChildren();
      chosen.forEach((person, index) => {
        const chip = document.createElement("li");
        chip.className = "people-picker__chip";
        const name = document.createElement("bdi");
        name.textContent = person.name || person.email;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "people-picker__remove";
        remove.textContent = "×";
        remove.setAttribute("aria-label", `${input.dataset.peopleRemove || "Remove"} ${person.name || person.email}`);
        remove.addEventListener("click", () => {
          chosen.splice(index, 1);
          renderChips();
          writeValue();
          box.focus();
        });
        chip.append(name, remove);
        chips.append(chip);
      });
    }

    function close() {
      list.hidden = true;
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const options = list.querySelectorAll("[role=option]");
      options.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
      active = index;
      if (index >= 0 && options[index]) {
        box.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({block: "nearest"});
      } else {
        box.removeAttribute("aria-activedescendant");
      }
    }

    function render() {
      list.replaceChildren();
      const shown = results.filter((person) => !chosen.some((other) => other.id === person.id));
      if (!shown.length) {
        const empty = document.createElement("li");
        empty.className = "people-picker__empty";
        empty.textContent = input.dataset.peopleEmpty || "—";
        list.append(empty);
      }
      shown.forEach((person, index) => {
        const option = document.createElement("li");
        option.id = `${listId}-${index}`;
        option.className = "people-picker__option";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.index = String(index);
        const name = document.createElement("bdi");
        name.className = "people-picker__name";
        name.textContent = person.name;
        const email = document.createElement("bdi");
        email.className = "people-picker__email";
        email.textContent = person.email;
        option.append(name, email);
        // mousedown, not click: the box must not lose focus (and close the list) first.
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          pick(person);
        });
        list.append(option);
      });
      results = shown;
      list.hidden = false;
      box.setAttribute("aria-expanded", "true");
      highlight(shown.length ? 0 : -1);
    }

    function pick(person) {
      if (multiple) {
        chosen.push(person);
        renderChips();
        box.value = "";
      } else {
        chosen = [person];
        input.value = person[key];
        box.value = person.name && person.name !== person.email ? `${person.name} <${person.email}>` : person.email;
      }
      close();
      writeValue();
    }

    async function search() {
      const query = box.value.trim();
      if (!query) {
        close();
        return;
      }
      if (controller) controller.abort();
      controller = new AbortController();
      try {
        const url = new URL(input.dataset.peopleUrl, location.href);
        url.searchParams.set("q", query);
        const response = await fetch(url, {
          credentials: "same-origin",
          headers: {Accept: "application/json"},
          signal: controller.signal,
        });
        if (!response.ok) return;
        results = (await response.json()).results || [];
        if (document.activeElement === box) render();
      } catch (err) {
        if (err.name !== "AbortError") close();
      }
    }

    box.addEventListener("input", () => {
      if (!multiple) {
        // Typed, not picked: the text itself is the value (a full e-mail is accepted).
        chosen = [];
        input.value = box.value.trim();
        changed();
      }
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    box.addEventListener("keydown", (event) => {
      const count = list.querySelectorAll("[role=option]").length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) search();
        else if (count) highlight((active + 1) % count);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (count) highlight((active - 1 + count) % count);
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0 && results[active]) {
          event.preventDefault();
          pick(results[active]);
        } else if (multiple && box.value.includes("@")) {
          event.preventDefault();
          pick({id: box.value.trim(), name: box.value.trim(), email: box.value.trim()});
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        }
      } else if (event.key === "Backspace" && multiple && !box.value && chosen.length) {
        chosen.pop();
        renderChips();
        writeValue();
      }
    });
    box.addEventListener("blur", () => {
      close();
      if (multiple && box.value.includes("@")) {
        const email = box.value.trim();
        pick({id: email, name: email, email});
      }
    });
    if (multiple) {
      renderChips();
      writeValue();
    }
  }

  function enhanceAll(root) {
    root.querySelectorAll("input[data-people-picker]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => enhanceAll(document));
  } else {
    enhanceAll(document);
  }
  window.NexusPeoplePicker = {enhance, enhanceAll};
})();
