/* The structured document editor: builds a form for the document's content (word blocks,
 * excel sheets, powerpoint slides) and saves it through the API with the version it was
 * loaded from. A stale save (409) keeps every edit on screen and says so. While there are
 * unsaved changes, leaving the page asks first (a link of the page by a confirm, anything else
 * by the browser's before-unload prompt); a successful save clears that. Vanilla JS. */
(() => {
  "use strict";
  const root = document.getElementById("editor");
  if (!root) return;
  const T = JSON.parse(root.dataset.strings);
  const docType = root.dataset.docType;
  const canEdit = root.dataset.canEdit === "true";
  const body = document.getElementById("doc-body");
  const status = document.getElementById("doc-status");
  const errorBox = document.getElementById("doc-error");
  const titleInput = document.getElementById("doc-title");
  let version = Number(root.dataset.version);
  let content = JSON.parse(document.getElementById("document-content").textContent);
  let currentSheet = 0;
  let edits = 0; // changes made since the page loaded
  let savedEdits = 0; // how many of them the last successful save holds
  let leaving = false; // the user already agreed to leave through a link

  const el = (tag, attrs = {}, children = []) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else if (value !== false && value !== undefined) node.setAttribute(key, value);
    }
    children.forEach((child) => node.appendChild(child));
    return node;
  };
  const unsaved = () => edits !== savedEdits;
  const dirty = () => { edits += 1; status.textContent = T.dirty; };
  const field = (tag, value, label, onInput, attrs = {}) =>
    el(tag, {"aria-label": label, readonly: !canEdit, ...attrs, oninput: (event) => { onInput(event.target.value); dirty(); }},
      []).valueOf();
  const withValue = (node, value) => { node.value = value; return node; };
  const tools = (list, index) => canEdit ? el("span", {class: "doc-item__tools"}, [
    el("button", {type: "button", class: "button button--small button--ghost", "aria-label": T.up, text: "↑",
      onclick: () => { if (index > 0) { [list[index - 1], list[index]] = [list[index], list[index - 1]]; dirty(); render(); } }}),
    el("button", {type: "button", class: "button button--small button--ghost", "aria-label": T.down, text: "↓",
      onclick: () => { if (index < list.length - 1) { [list[index + 1], list[index]] = [list[index], list[index + 1]]; dirty(); render(); } }}),
    el("button", {type: "button", class: "button button--small button--ghost", text: T.remove,
      onclick: () => { list.splice(index, 1); dirty(); render(); }}),
  ]) : el("span");

  // --- word -------------------------------------------------------------------------------
  function blockEditor(block, index) {
    const head = el("div", {class: "doc-item__head"}, [el("strong", {text: T[block.type]})]);
    const item = el("li", {class: "doc-item", "data-block": block.type}, [head]);
    if (block.type === "heading") {
      const level = el("select", {"aria-label": T.level, disabled: !canEdit, onchange: (e) => { block.level = Number(e.target.value); dirty(); }},
        [1, 2, 3, 4, 5, 6].map((n) => el("option", {value: n, selected: n === block.level, text: `H${n}`})));
      head.appendChild(level);
      item.appendChild(withValue(field("input", block.text, T.heading, (v) => { block.text = v; }, {type: "text"}), block.text));
    } else if (block.type === "paragraph") {
      item.appendChild(withValue(field("textarea", block.text, T.paragraph, (v) => { block.text = v; }, {rows: 3}), block.text));
    } else if (block.type === "list") {
      head.appendChild(el("label", {}, [el("input", {type: "checkbox", checked: block.ordered, disabled: !canEdit,
        onchange: (e) => { block.ordered = e.target.checked; dirty(); }}), document.createTextNode(` ${T.ordered}`)]));
      item.appendChild(withValue(field("textarea", "", T.items, (v) => { block.items = v.split("\n").filter((line) => line.trim()); }, {rows: 4}),
        block.items.join("\n")));
    } else {
      item.appendChild(withValue(field("textarea", "", T.rows, (v) => {
        const rows = v.split("\n").filter((line) => line.length).map((line) => line.split("|").map((cell) => cell.trim()));
        const width = Math.max(1, ...rows.map((row) => row.length));
        block.rows = rows.length ? rows.map((row) => [...row, ...Array(width - row.length).fill("")]) : [[""]];
      }, {rows: 4, dir: "auto"}), block.rows.map((row) => row.join(" | ")).join("\n")));
    }
    head.appendChild(tools(content.blocks, index));
    return item;
  }
  const newBlock = {
    heading: () => ({type: "heading", level: 2, text: T.heading}),
    paragraph: () => ({type: "paragraph", text: T.paragraph}),
    list: () => ({type: "list", ordered: false, items: [T.list]}),
    table: () => ({type: "table", rows: [["", ""], ["", ""]]}),
  };

  // --- powerpoint ---------------------------------------------------------------------------
  function slideEditor(slide, index) {
    const head = el("div", {class: "doc-item__head"}, [el("strong", {text: `${T.slide} ${index + 1}`}), tools(content.slides, index)]);
    return el("li", {class: "doc-item", "data-slide": index}, [
      head,
      withValue(field("input", "", T.title, (v) => { slide.title = v; }, {type: "text", name: "slide-title"}), slide.title),
      withValue(field("textarea", "", T.text, (v) => { slide.text = v; }, {rows: 3, name: "slide-text"}), slide.text),
      withValue(field("textarea", "", T.notes, (v) => { slide.notes = v; }, {rows: 2, name: "slide-notes"}), slide.notes),
    ]);
  }

  // --- excel --------------------------------------------------------------------------------
  const letters = (n) => { let s = ""; for (n += 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s; return s; };
  const splitRef = (ref) => { const m = /^([A-Z]+)(\d+)$/.exec(ref); let c = 0; for (const ch of m[1]) c = c * 26 + ch.charCodeAt(0) - 64; return [Number(m[2]) - 1, c - 1]; };
  const size = {rows: 0, cols: 0};
  function sheetSize(sheet) {
    let rows = 10, cols = 6;
    for (const ref of Object.keys(sheet.cells)) { const [r, c] = splitRef(ref); rows = Math.max(rows, r + 2); cols = Math.max(cols, c + 2); }
    return {rows: Math.max(rows, size.rows), cols: Math.max(cols, size.cols)};
  }
  const cellText = (cell) => cell ? (cell.formula || (cell.value === null || cell.value === undefined ? "" : String(cell.value))) : "";
  function setCell(sheet, ref, text) {
    const old = sheet.cells[ref];
    if (text === "") { delete sheet.cells[ref]; return; }
    if (text.startsWith("=")) {
      sheet.cells[ref] = {value: old && old.formula === text ? old.value : null, formula: text};
    } else if (/^-?\d+(\.\d+)?$/.test(text.trim())) {
      sheet.cells[ref] = {value: Number(text)};
    } else if (text === "TRUE" || text === "FALSE") {
      sheet.cells[ref] = {value: text === "TRUE"};
    } else {
      sheet.cells[ref] = {value: text};
    }
  }
  function sheetEditor() {
    const sheet = content.sheets[currentSheet];
    const tabs = el("div", {class: "sheet-tabs", role: "tablist"}, content.sheets.map((s, i) =>
      el("button", {type: "button", role: "tab", class: "button button--small button--ghost", "aria-selected": String(i === currentSheet), text: s.name,
        onclick: () => { currentSheet = i; size.rows = size.cols = 0; render(); }})));
    const name = withValue(field("input", "", T.sheetName, (v) => { sheet.name = v; }, {type: "text", name: "sheet-name"}), sheet.name);
    const {rows, cols} = sheetSize(sheet);
    const head = el("tr", {}, [el("th"), ...Array.from({length: cols}, (_, c) => el("th", {scope: "col", text: letters(c)}))]);
    const lines = Array.from({length: rows}, (_, r) => el("tr", {}, [el("th", {scope: "row", text: String(r + 1)}),
      ...Array.from({length: cols}, (_, c) => {
        const ref = `${letters(c)}${r + 1}`;
        return el("td", {}, [withValue(field("input", "", ref, (v) => setCell(sheet, ref, v), {type: "text", "data-ref": ref, dir: "ltr"}), cellText(sheet.cells[ref]))]);
      })]));
    return el("div", {}, [tabs, el("div", {class: "field"}, [name]), el("table", {class: "sheet-grid"}, [el("thead", {}, [head]), el("tbody", {}, lines)])]);
  }

  function render() {
    body.replaceChildren();
    if (docType === "word") body.appendChild(el("ol", {class: "doc-items"}, content.blocks.map(blockEditor)));
    else if (docType === "powerpoint") body.appendChild(el("ol", {class: "doc-items"}, content.slides.map(slideEditor)));
    else body.appendChild(sheetEditor());
  }

  document.getElementById("doc-toolbar").addEventListener("click", (event) => {
    const kind = event.target.dataset && event.target.dataset.add;
    if (!kind) return;
    if (newBlock[kind]) content.blocks.push(newBlock[kind]());
    else if (kind === "slide") content.slides.push({title: "", text: "", notes: ""});
    else if (kind === "sheet") {
      const names = new Set(content.sheets.map((s) => s.name.toLowerCase()));
      let n = content.sheets.length + 1;
      while (names.has(`sheet${n}`)) n += 1;
      content.sheets.push({name: `Sheet${n}`, cells: {}});
      currentSheet = content.sheets.length - 1;
    } else if (kind === "row") size.rows = sheetSize(content.sheets[currentSheet]).rows + 1;
    else if (kind === "column") size.cols = sheetSize(content.sheets[currentSheet]).cols + 1;
    dirty();
    render();
  });

  function showError(message, details, latest) {
    errorBox.replaceChildren(el("p", {text: message}));
    if (details && details.length) errorBox.appendChild(el("ul", {}, details.slice(0, 10).map((d) => el("li", {text: d, dir: "auto"}))));
    if (latest) errorBox.appendChild(el("a", {href: root.dataset.editorUrl, target: "_blank", rel: "noopener", text: T.latest}));
    errorBox.hidden = false;
  }

  async function save() {
    errorBox.hidden = true;
    status.textContent = T.saving;
    const token = root.querySelector("[name=csrfmiddlewaretoken]").value;
    let response, answer;
    const saving = edits;
    try {
      response = await fetch(root.dataset.apiUrl, {
        method: "PATCH",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token},
        body: JSON.stringify({version, title: titleInput.value, content}),
      });
      answer = await response.json().catch(() => ({}));
    } catch (err) {
      status.textContent = T.dirty;
      showError(T.failed);
      return;
    }
    if (response.ok) {
      version = answer.version;
      root.dataset.version = String(version);
      savedEdits = saving; // edits typed while the save ran are still unsaved
      status.textContent = unsaved() ? T.dirty : T.saved.replace("%(version)s", version);
      return;
    }
    status.textContent = T.dirty;
    const error = answer.error || {};
    if (response.status === 409) {
      const current = (error.details && error.details.current_version) || "?";
      showError(T.conflict.replace("%(version)s", current), [], true);
      return;
    }
    const details = [];
    for (const value of Object.values(error.details || {})) details.push(...(Array.isArray(value) ? value : [String(value)]));
    showError(error.message || T.failed, details);
  }

  if (canEdit) {
    document.getElementById("save").addEventListener("click", save);
    titleInput.addEventListener("input", dirty);
    window.addEventListener("beforeunload", (event) => {
      if (!unsaved() || leaving) return;
      event.preventDefault();
      event.returnValue = ""; // older browsers need a value to ask
    });
    document.addEventListener("click", (event) => {
      const link = event.target.closest && event.target.closest("a[href]");
      if (!link || !unsaved() || event.defaultPrevented) return;
      if (link.target === "_blank" || link.hasAttribute("download") || link.getAttribute("href").startsWith("#")) return;
      if (window.confirm(T.leave)) leaving = true;
      else event.preventDefault();
    });
  }
  render();
})();
