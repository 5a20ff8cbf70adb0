// Keeps a campaign page's count up to date from its count.json. The page
// reads fully without it; this only refreshes the total and the bar.
(function () {
  "use strict";
  var section = document.querySelector("[data-count-url]");
  if (!section) return;
  var url = section.getAttribute("data-count-url");
  var total = document.getElementById("total");
  var progress = document.getElementById("progress");
  var etag = null;
  function refresh() {
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(url, { headers: headers, cache: "no-cache" })
      .then(function (response) {
        if (response.status !== 200) return null;
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (count) {
        if (!count) return;
        total.textContent = count.signature_count.toLocaleString("en-GB");
        progress.max = Math.max(count.goal, 1);
        progress.value = Math.min(count.signature_count, progress.max);
        progress.textContent = total.textContent;
      })
      .catch(function () { /* try again at the next tick */ });
  }
  setInterval(refresh, 5000);
})();
