// After a refused submit the page opens with its error summary in focus, so that a screen reader reads it
// and the first Tab reaches the first error's link (templates/_form.html gives the summary tabindex="-1").
// Without JavaScript the form still works; the summary is then the first thing after the heading.
(function () {
  "use strict";
  function focusErrorSummary() {
    var summary = document.querySelector(".ds-error-summary[tabindex]");
    if (summary) {
      summary.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusErrorSummary);
  } else {
    focusErrorSummary();
  }
})();
