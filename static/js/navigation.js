// The main navigation collapses behind a menu button on small screens. Loaded right after the
// header (not deferred) so a phone never sees the open menu flash; without JavaScript the
// button stays hidden and the menu open.
(function () {
  "use strict";
  var header = document.getElementById("site-header");
  var toggle = document.getElementById("nav-toggle");
  if (!header || !toggle) {
    return;
  }
  var small = window.matchMedia("(max-width: 40rem)");

  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    header.setAttribute("data-nav", open ? "open" : "collapsed");
  }

  function follow() {
    setOpen(!small.matches);
  }

  toggle.hidden = false;
  follow();
  if (small.addEventListener) {
    small.addEventListener("change", follow);
  }
  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && small.matches && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
})();
