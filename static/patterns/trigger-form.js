// The trigger form's "another object" box: as a name is typed, the objects the user may see
// with that name are offered from the graph's search (GET <data-search-url>?q=text ->
// {"results": [{"node", "name", "kind"}]}) in the box's datalist; picking one writes its node
// (app_label.model:uuid), which is what the form sends. Without JavaScript the node is typed.
(function () {
  "use strict";
  var MIN_LENGTH = 2;
  var DELAY_MS = 250;

  var form = document.getElementById("trigger-form");
  var box = document.getElementById("id_scope_other");
  var list = document.getElementById("trigger-scope-suggestions");
  if (!form || !box || !list || !form.dataset.searchUrl || !window.fetch) return;

  var timer = null;
  var asked = "";

  function looksLikeNode(text) {
    return /^[a-z_]+\.[a-z_]+:/.test(text);
  }

  function show(results) {
    list.textContent = "";
    results.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.node;
      option.textContent = item.name + " (" + item.kind + ")";
      list.appendChild(option);
    });
  }

  function search(text) {
    asked = text;
    var url = form.dataset.searchUrl + "?q=" + encodeURIComponent(text);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { if (asked === text) show(data.results || []); })
      .catch(function () { show([]); });
  }

  box.addEventListener("input", function () {
    var text = box.value.trim();
    window.clearTimeout(timer);
    if (text.length < MIN_LENGTH || looksLikeNode(text)) return;
    timer = window.setTimeout(function () { search(text); }, DELAY_MS);
  });
})();
