/* Keeps each tile's "updated 12 s ago" ticking between refreshes (dashboards/components.py `foot`):
   the server writes the figures' time into data-at; if no refresh arrives (server busy or gone), the
   age keeps growing here and the footer turns into a warning past data-stale-after seconds. */
(function () {
  function ageText(s) {
    s = Math.max(0, Math.floor(s));
    if (s < 2) return "updated just now";
    if (s < 120) return "updated " + s + " s ago";
    if (s < 7200) return "updated " + Math.floor(s / 60) + " min ago";
    return "updated " + Math.floor(s / 3600) + " h ago";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".freshness[data-at]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("data-at"));
      if (isNaN(at)) return;
      var age = (now - at) / 1000;
      var text = el.querySelector(".fresh-text");
      if (text) text.textContent = text.textContent.replace(/updated (just now|\d+ (s|min|h) ago)/, ageText(age));
      var stale = age > parseFloat(el.getAttribute("data-stale-after") || "30");
      el.classList.toggle("stale", stale);
      var flag = el.querySelector(".stale-flag");
      if (stale && !flag) {
        flag = document.createElement("span");
        flag.className = "stale-flag";
        flag.textContent = "\u26a0 older than expected: ";
        el.insertBefore(flag, el.firstChild);
      } else if (!stale && flag) {
        flag.remove();
      }
    });
  }
  setInterval(tick, 1000);
})();
