// Each text box's "n/limit" (templates/includes/char_limit.html) follows what is typed. The page
// already says the limit without this; counted in characters as the server counts them.
(() => {
  const update = (box, note) => {
    const max = note.textContent.split("/").pop();
    note.textContent = `${[...box.value].length}/${max}`;
  };
  const bind = (root) => {
    for (const note of root.querySelectorAll("[data-count-for]")) {
      const box = document.getElementById(note.dataset.countFor);
      if (!box || box.dataset.counted) continue;
      box.dataset.counted = "1";
      box.addEventListener("input", () => update(box, note));
      update(box, note);
    }
  };
  document.addEventListener("DOMContentLoaded", () => bind(document));
  document.addEventListener("htmx:afterSwap", () => bind(document));
})();
