/* menkan portal behaviour, kept out of the pages so the Content-Security-Policy can forbid inline scripts. */
"use strict";
// A <select data-autosubmit> sends its form as soon as it changes (the language switch, the fee term).
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.submit();
  }
});
// Printing opens every closed <details> (what counted, what did not) and closes them again afterwards.
var openedForPrint = [];
window.addEventListener("beforeprint", function () {
  openedForPrint = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"), function (details) {
    details.open = true;
    return true;
  });
});
window.addEventListener("afterprint", function () {
  openedForPrint.forEach(function (details) { details.open = false; });
  openedForPrint = [];
});
