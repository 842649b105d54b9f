// Copy buttons of includes/share.html: copy a link or the embed snippet, and say so (aria-live).
// Without JS the buttons stay hidden; the link and the snippet are there to select by hand.
(function () {
  "use strict";
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand("copy");
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = button.getAttribute("data-copy-from");
      var text = source ? document.getElementById(source).value : button.getAttribute("data-copy");
      var status = document.getElementById(button.getAttribute("data-copy-status"));
      copy(text).then(
        function () { if (status) { status.textContent = button.getAttribute("data-copied"); } },
        function () { if (status) { status.textContent = button.getAttribute("data-copy-failed"); } }
      );
    });
  });
})();
