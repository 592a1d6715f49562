/* Handoff pages: progressive enhancement only. Every page is complete without this file.
 * - live countdowns: <time data-countdown datetime="ISO-8601 UTC"> keeps its server-rendered text until
 *   this script replaces it every 15 seconds with the same wording the server uses;
 * - idle warning: two minutes before the idle sign-out, an alert offers to stay signed in.
 * No inline scripts: the Content-Security-Policy forbids them. */
(function () {
  "use strict";

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  /* Mirrors handoff.web.timefmt.duration_words(): "2 d 5 h", "5 h 12 min", "12 min", "under a minute". */
  function durationWords(seconds) {
    var s = Math.abs(Math.round(seconds));
    var days = Math.floor(s / 86400);
    var hours = Math.floor((s % 86400) / 3600);
    var minutes = Math.floor((s % 3600) / 60);
    if (days > 0) { return days + " d " + hours + " h"; }
    if (hours > 0) { return hours + " h " + minutes + " min"; }
    if (minutes > 0) { return minutes + " min"; }
    return "under a minute";
  }

  function updateCountdowns(root) {
    var now = Date.now();
    var nodes = (root || document).querySelectorAll("time[data-countdown]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) { continue; }
      var left = (due - now) / 1000;
      var text = left >= 0 ? "in " + durationWords(left) : "overdue by " + durationWords(left);
      if (el.textContent !== text) { el.textContent = text; }
      var atRisk = parseFloat(el.getAttribute("data-at-risk-seconds") || "0");
      el.classList.toggle("handoff-countdown--overdue", left < 0);
      el.classList.toggle("handoff-countdown--at-risk", left >= 0 && atRisk > 0 && left <= atRisk);
    }
  }

  function idleWarning() {
    var body = document.body;
    var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
    var box = document.getElementById("idle-warning");
    if (!idle || !box) { return; }
    var warnBefore = Math.min(120, Math.floor(idle / 2));
    var last = Date.now();
    var remaining = box.querySelector("[data-idle-remaining]");
    function tick() {
      var left = idle - (Date.now() - last) / 1000;
      if (left <= 0) {
        window.location.reload();  /* the server has ended the session: the reload shows the sign-in page */
        return;
      }
      if (left <= warnBefore) {
        if (box.hidden) { box.hidden = false; box.querySelector("[data-idle-stay]").focus(); }
        remaining.textContent = "Time left: " + durationWords(left) + ".";
      }
    }
    box.querySelector("[data-idle-stay]").addEventListener("click", function () {
      var url = body.getAttribute("data-keepalive-url");
      var token = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
      fetch(url, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": token } })
        .then(function (r) { if (r.ok) { last = Date.now(); box.hidden = true; } else { window.location.reload(); } })
        .catch(function () { window.location.reload(); });
    });
    /* a background refresh (data-background-poll) is not the user's activity: the idle lock must still fire */
    document.body.addEventListener("htmx:afterRequest", function (e) {
      var elt = e.detail && e.detail.elt;
      if (elt && elt.hasAttribute && elt.hasAttribute("data-background-poll")) { return; }
      last = Date.now();
    });
    setInterval(tick, 5000);
  }

  /* A chart's "show as table" toggle: the table is always in the page; the button only scrolls to it. */
  function ready() {
    updateCountdowns(document);
    setInterval(function () { updateCountdowns(document); }, 15000);
    document.body.addEventListener("htmx:afterSwap", function (e) { updateCountdowns(e.target); });
    idleWarning();
    var printButtons = document.querySelectorAll("[data-print]");
    for (var i = 0; i < printButtons.length; i++) {
      printButtons[i].hidden = false;
      printButtons[i].addEventListener("click", function () { window.print(); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
  window.handoffDurationWords = durationWords;
  window.handoffPlural = plural;
})();
