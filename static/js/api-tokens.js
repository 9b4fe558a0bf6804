// Settings, API tokens: the Copy button writes a new token to the clipboard, or, where the
// clipboard is not available (an insecure origin, an old browser, a refusal), selects it so the
// user copies it by hand; each Revoke button asks first. Strings come from data attributes.
(function () {
  "use strict";
  var section = document.getElementById("tokens");
  if (!section) return;

  var secret = document.getElementById("token-new-secret");
  var button = document.getElementById("token-new-copy");
  var status = document.getElementById("token-new-status");
  if (secret && button && status) {
    var byHand = function () {
      secret.focus();
      secret.select();
      status.textContent = section.dataset.copyByHand;
    };
    secret.addEventListener("focus", function () {
      secret.select();
    });
    button.addEventListener("click", function () {
      if (!navigator.clipboard || !window.isSecureContext) {
        byHand();
        return;
      }
      navigator.clipboard.writeText(secret.value).then(function () {
        status.textContent = section.dataset.copied;
      }, byHand);
    });
  }

  section.querySelectorAll("form[data-confirm-revoke]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirmRevoke)) {
        event.preventDefault();
      }
    });
  });
})();
