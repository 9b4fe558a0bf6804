// The graph explorer's drawing: pan and zoom by moving the SVG's viewBox (drag, wheel, the
// toolbar's buttons, or the arrow keys, + / - and 0 on the focused drawing); a click on a node
// fetches the drawing with that node expanded from /graph/drawing/ (an HTML fragment the server
// renders with the same access rules as the page) and swaps it in, keeping the page's address
// in step; the find box suggests names as you type from /graph/search/. Without JavaScript
// every link and form still works as a plain page. Every visible string comes from the
// template.
(function () {
  "use strict";
  var ZOOM_STEP = 1.25;
  var PAN_STEP = 0.1; // of the visible width or height
  var DRAG_THRESHOLD = 4; // pixels before a press becomes a drag, not a click
  var READABLE = 1.6; // drawing units per pixel at most in the first view (names stay legible)

  function zoomable(svg) {
    var initial = svg.getAttribute("viewBox").split(/[\s,]+/).map(Number);
    var box = initial.slice();
    var drag = null;
    var dragged = false;

    // A big neighbourhood fitted whole would shrink its names past reading: the first view
    // shows the middle (the centre node) at a legible size; "Fit" shows the whole drawing.
    function firstView() {
      var rect = svg.getBoundingClientRect();
      if (!rect.width || !rect.height) return;
      var units = Math.max(initial[2] / rect.width, initial[3] / rect.height);
      if (units <= READABLE) return;
      var width = rect.width * READABLE;
      var height = rect.height * READABLE;
      box = [
        initial[0] + (initial[2] - width) / 2,
        initial[1] + (initial[3] - height) / 2,
        width,
        height,
      ];
      apply();
    }

    function apply() {
      svg.setAttribute("viewBox", box.map(function (n) { return n.toFixed(1); }).join(" "));
    }

    // The drawing's point under a client position (the viewBox is fitted, centred, in the box).
    function pointAt(clientX, clientY) {
      var rect = svg.getBoundingClientRect();
      var scale = Math.max(box[2] / rect.width, box[3] / rect.height);
      var offsetX = (rect.width * scale - box[2]) / 2;
      var offsetY = (rect.height * scale - box[3]) / 2;
      return [
        box[0] - offsetX + (clientX - rect.left) * scale,
        box[1] - offsetY + (clientY - rect.top) * scale,
        scale,
      ];
    }

    function zoom(factor, centre) {
      var width = box[2] / factor;
      var height = box[3] / factor;
      // Between ten times closer and twice the whole drawing.
      if (width < initial[2] / 10 || width > initial[2] * 2) return;
      var cx = centre ? centre[0] : box[0] + box[2] / 2;
      var cy = centre ? centre[1] : box[1] + box[3] / 2;
      box = [cx - (cx - box[0]) / factor, cy - (cy - box[1]) / factor, width, height];
      apply();
    }

    function pan(dx, dy) {
      box[0] += dx;
      box[1] += dy;
      apply();
    }

    function reset() {
      box = initial.slice();
      apply();
    }

    svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      var point = pointAt(event.clientX, event.clientY);
      zoom(event.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP, point);
    }, { passive: false });

    svg.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      drag = { x: event.clientX, y: event.clientY, box: box.slice(), id: event.pointerId };
      dragged = false;
    });
    svg.addEventListener("pointermove", function (event) {
      if (!drag || event.pointerId !== drag.id) return;
      var dx = event.clientX - drag.x;
      var dy = event.clientY - drag.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) < DRAG_THRESHOLD) return;
      if (!dragged) {
        dragged = true;
        svg.setPointerCapture(event.pointerId);
        svg.classList.add("is-dragging");
      }
      var scale = pointAt(0, 0)[2];
      box[0] = drag.box[0] - dx * scale;
      box[1] = drag.box[1] - dy * scale;
      apply();
    });
    function release() {
      drag = null;
      svg.classList.remove("is-dragging");
    }
    svg.addEventListener("pointerup", release);
    svg.addEventListener("pointercancel", release);
    // A drag that ends on a node is not a click on it.
    svg.addEventListener("click", function (event) {
      if (dragged) {
        event.preventDefault();
        event.stopPropagation();
        dragged = false;
      }
    }, true);

    svg.addEventListener("keydown", function (event) {
      if (event.target !== svg) return; // a focused node keeps Enter for itself
      var handled = true;
      switch (event.key) {
        case "+": case "=": zoom(ZOOM_STEP); break;
        case "-": case "_": zoom(1 / ZOOM_STEP); break;
        case "0": reset(); break;
        case "ArrowLeft": pan(-box[2] * PAN_STEP, 0); break;
        case "ArrowRight": pan(box[2] * PAN_STEP, 0); break;
        case "ArrowUp": pan(0, -box[3] * PAN_STEP); break;
        case "ArrowDown": pan(0, box[3] * PAN_STEP); break;
        default: handled = false;
      }
      if (handled) event.preventDefault();
    });

    firstView();
    var figure = svg.closest(".graph");
    figure.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var action = button.dataset.zoom;
        if (action === "in") zoom(ZOOM_STEP);
        else if (action === "out") zoom(1 / ZOOM_STEP);
        else reset();
      });
    });
  }

  // --- expanding a node in place ---------------------------------------------------------------

  var holder = document.getElementById("graph-drawing");

  function setUp() {
    if (!holder) return;
    var svg = holder.querySelector(".graph__svg--zoomable");
    if (svg) zoomable(svg);
  }

  function expand(link) {
    var query = link.getAttribute("href");
    if (!query || query.charAt(0) !== "?") return false;
    holder.setAttribute("aria-busy", "true");
    fetch(holder.dataset.fragmentUrl + query, {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        // A signed-out user is sent to the login page: go there as a page, not into the card.
        if (!response.ok || response.redirected) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        holder.innerHTML = html;
        window.history.replaceState(null, "", query);
        setUp();
        var again = holder.querySelector('.graph__svg [data-node="' + link.dataset.key + '"]');
        var target = again ? again.closest("a") : holder.querySelector(".graph__svg");
        if (target) target.focus();
      })
      .catch(function () {
        window.location.href = query; // the plain page says what went wrong
      })
      .finally(function () {
        holder.removeAttribute("aria-busy");
      });
    return true;
  }

  if (holder) {
    holder.addEventListener("click", function (event) {
      var link = event.target.closest("a.graph-node-link");
      if (!link || event.defaultPrevented || event.ctrlKey || event.metaKey || event.shiftKey) return;
      var node = link.querySelector("[data-node]");
      link.dataset.key = node ? node.dataset.node : "";
      if (expand(link)) event.preventDefault();
    });
    setUp();
  }

  // --- the find box's suggestions -------------------------------------------------------------

  var searchForm = document.getElementById("search-form");
  if (!searchForm) return;
  var input = searchForm.querySelector("input[name=q]");
  var list = document.getElementById("search-suggestions");
  var timer = null;
  var asked = "";

  function show(results) {
    list.textContent = "";
    if (!results.length) {
      var empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = searchForm.dataset.noResults;
      list.appendChild(empty);
    }
    results.forEach(function (result) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = result.url;
      link.textContent = result.name;
      var kind = document.createElement("span");
      kind.textContent = result.kind;
      item.appendChild(link);
      item.appendChild(kind);
      list.appendChild(item);
    });
    list.hidden = false;
  }

  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") list.hidden = true;
  });

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    var text = input.value.trim();
    if (text.length < 2) {
      list.hidden = true;
      return;
    }
    timer = window.setTimeout(function () {
      asked = text;
      fetch(searchForm.dataset.searchUrl + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.ok && !response.redirected ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (asked === text) show(data.results || []);
        })
        .catch(function () { list.hidden = true; });
    }, 200);
  });
}());
