// A "Print" button without inline script (the site's Content-Security-Policy): <button data-print>.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
