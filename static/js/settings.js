// Settings page: offer the device's own time zone (from the browser) for the time zone list.
// Without JavaScript, or when the browser's zone is not in the list, the button stays hidden.
(function () {
  "use strict";
  var button = document.querySelector("[data-browser-time-zone]");
  var select = document.getElementById("id_region-time_zone");
  if (!button || !select || !window.Intl) {
    return;
  }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var known = Array.prototype.some.call(select.options, function (option) {
    return option.value === zone;
  });
  if (!zone || !known) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    select.value = zone;
    select.focus();
  });
})();
