// The print header (templates/base.html): the date and address at the moment of printing, not of
// loading (a page may be printed hours later). Thai pages get the Buddhist-Era calendar.
(function () {
  "use strict";
  function stamp() {
    var lang = document.documentElement.lang === "th" ? "th-TH-u-ca-buddhist" : "en-GB";
    var when = new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short" }).format(new Date());
    document.querySelectorAll("[data-print-date]").forEach(function (el) { el.textContent = when; });
    document.querySelectorAll("[data-print-url]").forEach(function (el) { el.textContent = window.location.href; });
  }
  window.addEventListener("beforeprint", stamp);
})();
