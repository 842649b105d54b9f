// Tables wider than the screen scroll inside their .table-wrap. A region that scrolls must be
// reachable from the keyboard (WCAG 2.1.1): while it overflows it takes focus (tabindex=0) and is
// named after its table's caption or the nearest heading, so a screen reader says what it is.
(() => {
  const nameOf = (wrap) => {
    const caption = wrap.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    const labelled = wrap.closest("[aria-labelledby]");
    const label = labelled && document.getElementById(labelled.getAttribute("aria-labelledby"));
    if (label) return label.textContent.trim();
    const section = wrap.closest("section, figure, article, main");
    const heading = section && section.querySelector("h1, h2, h3, figcaption");
    return heading ? heading.textContent.trim() : "";
  };
  const update = () => {
    for (const wrap of document.querySelectorAll(".table-wrap")) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        const name = nameOf(wrap);
        if (name) {
          wrap.setAttribute("role", "region");
          wrap.setAttribute("aria-label", name);
        }
      } else if (wrap.getAttribute("tabindex") === "0") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", update);
  else update();
  window.addEventListener("resize", update);
  document.addEventListener("htmx:afterSettle", update);
})();
