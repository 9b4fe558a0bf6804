// Public link addresses on a file's page: each Copy button writes its address to the clipboard,
// or, where the clipboard is not available (an insecure origin, an old browser, a refusal),
// selects the text so the user copies it by hand. Strings come from the template's data
// attributes.
(function () {
  "use strict";

  function select(element) {
    element.focus();
    if (element.select) {
      element.select();
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copier(holder, address, status) {
    function byHand() {
      select(address);
      status.textContent = holder.dataset.copyByHand;
    }
    return function () {
      var text = address.value !== undefined ? address.value : address.textContent;
      if (!navigator.clipboard || !window.isSecureContext) {
        byHand();
        return;
      }
      navigator.clipboard.writeText(text).then(function () {
        status.textContent = holder.dataset.copied;
      }, byHand);
    };
  }

  var box = document.getElementById("new-link");
  if (box) {
    var address = document.getElementById("new-link-address");
    document
      .getElementById("new-link-copy")
      .addEventListener("click", copier(box, address, document.getElementById("new-link-status")));
    address.addEventListener("focus", function () {
      address.select();
    });
  }

  var section = document.getElementById("public-links");
  var status = document.getElementById("link-copy-status");
  if (!section || !status) return;
  section.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.dataset.copy);
    if (target) {
      // The <code> takes focus so that the by-hand selection can be announced and kept.
      target.tabIndex = -1;
      button.addEventListener("click", copier(section, target, status));
    }
  });
})();
