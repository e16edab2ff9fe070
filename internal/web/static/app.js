// shiphub dashboard: no inline scripts (the Content-Security-Policy forbids
// them). Nothing here is needed for a feature to work; it only tidies up.
(function () {
  "use strict";
  // The overview's live list grows at the top as events arrive: keep the
  // newest 50 so a page left open does not grow without end.
  var keep = 50;
  document.addEventListener("htmx:afterSettle", function () {
    var list = document.getElementById("live-feed");
    if (!list) { return; }
    while (list.children.length > keep) { list.removeChild(list.lastElementChild); }
  });
})();
