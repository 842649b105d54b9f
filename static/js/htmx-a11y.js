// After htmx swaps part of a page (a vote, a support, follow/unfollow):
// - focus goes back to the control that was pressed, found again in the new content by its id,
//   data-testid or name, else to the swapped region itself; never lost to <body> (WCAG 2.4.3);
// - the server's message (the flash list of the page it answered with) is shown and said in the
//   page's persistent live region, #messages in base.html (WCAG 4.1.3).
(() => {
  let pressed = null;
  const selectorOf = (el) => {
    if (!el || el === document.body) return null;
    for (const attr of ["id", "data-testid"]) {
      const value = el.getAttribute(attr);
      if (value) return `[${attr}="${CSS.escape(value)}"]`;
    }
    return el.name ? `${el.tagName.toLowerCase()}[name="${CSS.escape(el.name)}"]` : null;
  };
  document.addEventListener("htmx:beforeSwap", () => {
    pressed = selectorOf(document.activeElement);
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    const { target, xhr } = event.detail;
    const region = target && target.id ? document.getElementById(target.id) : target;
    const active = document.activeElement;
    if (region && region.isConnected && (!active || active === document.body || !active.isConnected)) {
      const again = pressed && region.querySelector(pressed);
      if (again) {
        again.focus();
      } else {
        if (!region.hasAttribute("tabindex")) region.setAttribute("tabindex", "-1");
        region.focus();
      }
    }
    pressed = null;
    const live = document.getElementById("messages");
    if (!live || !xhr || !xhr.responseText) return;
    const answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
    const list = answer.querySelector("#messages .messages");
    if (list) live.replaceChildren(document.importNode(list, true));
  });
})();
