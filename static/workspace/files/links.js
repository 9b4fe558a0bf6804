// A new public link's address: the Copy button writes it to the clipboard, or, where the
// clipboard is not available (an insecure origin, an old browser, a refusal), selects the text
// so the user copies it by hand. Strings come from the template's data attributes.
(function () {
  "use strict";
  var box = document.getElementById("new-link");
  if (!box) return;
  var address = document.getElementById("new-link-address");
  var button = document.getElementById("new-link-copy");
  var status = document.getElementById("new-link-status");

  function byHand() {
    address.focus();
    address.select();
    status.textContent = box.dataset.copyByHand;
  }

  button.addEventListener("click", function () {
    if (!navigator.clipboard || !window.isSecureContext) {
      byHand();
      return;
    }
    navigator.clipboard.writeText(address.value).then(function () {
      status.textContent = box.dataset.copied;
    }, byHand);
  });
  address.addEventListener("focus", function () {
    address.select();
  });
})();
