// The session's end (templates/_session_notice.html): a warning a few minutes before, said in the live region,
// and "Forleng økten", which renews the session without leaving the page, so nothing typed is lost.
(function () {
  "use strict";
  var notice = document.querySelector("[data-session-notice]");
  if (!notice) {
    return;
  }
  var line = notice.querySelector("#okt-slutt");
  var endsAt = notice.querySelector("[data-session-ends-at]");
  var live = notice.querySelector("[data-session-live]");
  var form = notice.querySelector("[data-session-extend]");
  var warnBefore = Number(notice.getAttribute("data-warn-seconds")) * 1000;
  var timers = [];

  function say(text, color) {
    live.className = "ds-alert";  // Designsystemet's alert box, coloured as the news is
    live.setAttribute("data-color", color);
    var paragraph = document.createElement("p");
    paragraph.className = "ds-paragraph";
    paragraph.setAttribute("data-size", "sm");
    paragraph.textContent = text;
    live.replaceChildren(paragraph);
  }

  function warn() {
    say("Du blir snart logget ut, kl. " + endsAt.textContent + ", fordi du ikke har gjort noe på en stund. " +
        "Velg «Forleng økten» for å fortsette.", "warning");
    form.hidden = false;
  }

  function ended() {
    form.hidden = true;
    say("Du er logget ut. Har du skrevet noe her, er det ikke tapt: send skjemaet og logg inn igjen, " +
        "så kommer du tilbake til det med teksten fylt inn.", "danger");
  }

  function schedule(secondsLeft) {
    timers.forEach(clearTimeout);
    var left = secondsLeft * 1000;
    timers = [setTimeout(warn, Math.max(0, left - warnBefore)), setTimeout(ended, left)];
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) {
          throw new Error("the session has ended");
        }
        return response.json();
      })
      .then(function (session) {
        endsAt.textContent = session.ends_at;
        form.hidden = true;
        say("Økten er forlenget.", "success");
        line.focus();  // the button is gone; the line says the new time
        schedule(session.seconds_left);
      })
      .catch(ended);
  });

  schedule(Number(notice.getAttribute("data-seconds-left")));
})();
