/* "Anything new for this page?" (dashboards/news.py): a live page's clientside callback asks
   /api/news when the snapshot its page reads was computed, and sets the page's news store only when
   that is a snapshot the browser does not show yet; the store runs the page's full callback. One
   question at a time per page: a slow answer is not asked again on top of itself. */
(function () {
  var asking = {};
  function ask(page, team, period, shown, known) {
    var none = window.dash_clientside.no_update;
    if (!team || !period || asking[page]) return none;
    asking[page] = true;
    var url = "/api/news?" + new URLSearchParams({page: page, team: team, period: period}).toString();
    return fetch(url, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (body) {
        var asOf = body && body.as_of;
        if (!asOf || asOf === known || (shown && shown.as_of === asOf)) return none;
        return asOf;
      })
      .catch(function () { return none; })
      .finally(function () { asking[page] = false; });
  }
  window.dash_clientside = Object.assign({}, window.dash_clientside);
  window.dash_clientside.teamflow = Object.assign({}, window.dash_clientside.teamflow, {
    news_team_live: function (n, team, period, shown, known) { return ask("team_live", team, period, shown, known); },
    news_deals: function (n, team, period, shown, known) { return ask("deals", team, period, shown, known); }
  });
})();
