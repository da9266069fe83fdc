/* Progressive enhancement of the survey. Without JavaScript every page works as a plain form.
   1. An optional instant check of each knowledge answer, answered by the server's own scoring service.
   2. Answers kept on the phone (localStorage, keyed by questionnaire version and attempt id) as the
      resident goes, restored after a reload or a closed tab; a submission that fails for the network
      is kept and sent again when the connection returns, and the page says so (an aria-live status).
   Every word shown comes from the server's translated template (data-word-* attributes). */
(function () {
  "use strict";
  var PREFIX = "civic-survey:";
  var store = (function () {
    try {
      var storage = window.localStorage;
      storage.setItem(PREFIX + "probe", "1");
      storage.removeItem(PREFIX + "probe");
      return storage;
    } catch (error) { return null; }  // private mode, disabled storage: the survey still works
  })();

  function storedKeys() {
    var keys = [];
    for (var i = 0; store && i < store.length; i += 1) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) { keys.push(key); }
    }
    return keys;
  }

  function forgetAttempts(keep) {
    // Drop every saved attempt except ``keep`` (a shared phone must not keep a previous resident's answers).
    storedKeys().forEach(function (key) {
      if (key !== keep) { store.removeItem(key); }
    });
  }

  // The result page: the response was acknowledged, so its saved answers are no longer needed.
  var finished = document.querySelector("[data-finished-attempt]");
  if (finished && store) {
    var done = finished.getAttribute("data-finished-attempt");
    storedKeys().forEach(function (key) {
      if (key.slice(-done.length - 1) === ":" + done) { store.removeItem(key); }
    });
  }

  var form = document.querySelector(".survey-form");
  if (!form) { return; }
  var words = {};
  ["check", "right", "wrong", "answer", "more", "first", "fail", "separator", "offline", "busy", "sending",
    "restored"].forEach(function (key) {
    words[key] = form.getAttribute("data-word-" + key) || "";
  });
  var token = form.querySelector("input[name=csrf_token]");

  /* ------------------------------------------------------------ instant check */

  function currentAnswer(fieldset) {
    var type = fieldset.getAttribute("data-type");
    if (type === "fillin") {
      var input = fieldset.querySelector("input[type=text]");
      return input && input.value.trim() ? input.value : null;
    }
    var checked = Array.prototype.map.call(fieldset.querySelectorAll("input:checked"), function (el) { return parseInt(el.value, 10); });
    if (!checked.length) { return null; }
    return type === "multiple" ? checked : checked[0];
  }

  function show(slot, cls, parts) {
    var box = slot.querySelector(".check-result");
    box.className = "check-result " + cls;
    box.textContent = "";
    parts.forEach(function (part) {
      var el = document.createElement(part.href ? "a" : (part.strong ? "strong" : "p"));
      el.textContent = part.text;
      if (part.href) { el.href = part.href; }
      box.appendChild(el);
    });
  }

  function addCheckButtons() {
    var url = form.getAttribute("data-check-url");
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.knowledge"), function (fieldset) {
      var slot = fieldset.querySelector("[data-check-slot]");
      if (!slot) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button-secondary check-button";
      button.textContent = words.check;
      var result = document.createElement("div");
      result.className = "check-result";
      result.setAttribute("aria-live", "polite");
      slot.appendChild(button);
      slot.appendChild(result);
      button.addEventListener("click", function () {
        var answer = currentAnswer(fieldset);
        if (answer === null) { show(slot, "is-wrong", [{ text: words.first }]); return; }
        fetch(url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "", "Accept": "application/json" },
          body: JSON.stringify({ item: parseInt(fieldset.getAttribute("data-item"), 10), answer: answer })
        }).then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        }).then(function (data) {
          var parts = [{ text: data.correct ? words.right : words.wrong, strong: true }];
          if (!data.correct) { parts.push({ text: words.answer + " " + data.correct_answer.join(words.separator) }); }
          if (data.explanation) { parts.push({ text: data.explanation }); }
          if (data.read_more) { parts.push({ text: words.more, href: data.read_more }); }
          show(slot, data.correct ? "is-correct" : "is-wrong", parts);
        }).catch(function () { show(slot, "is-wrong", [{ text: words.fail }]); });
      });
    });
  }

  if (window.fetch) { addCheckButtons(); }

  /* ------------------------------------------------------------ answers kept on the phone */

  var attempt = form.getAttribute("data-attempt");
  if (!store || !attempt) { return; }
  var key = PREFIX + form.getAttribute("data-version") + ":" + attempt;
  var status = document.getElementById("save-status");
  forgetAttempts(key);

  function load() {
    try {
      var saved = JSON.parse(store.getItem(key));
      if (saved && typeof saved === "object" && saved.answers && typeof saved.answers === "object") { return saved; }
    } catch (error) { /* unreadable: start again */ }
    return { answers: {}, pending: null };
  }

  function save(saved) {
    try { store.setItem(key, JSON.stringify(saved)); } catch (error) { /* full: the server still has each part */ }
  }

  function say(text) {
    if (status) { status.textContent = text; }
  }

  function itemInputs() {
    return Array.prototype.filter.call(form.elements, function (el) { return el.name && el.name.indexOf("item-") === 0; });
  }

  function currentValues() {
    var values = {};
    itemInputs().forEach(function (el) {
      if (el.type === "checkbox") {
        if (!values[el.name]) { values[el.name] = []; }
        if (el.checked) { values[el.name].push(el.value); }
      } else if (el.type === "radio") {
        if (!(el.name in values)) { values[el.name] = null; }
        if (el.checked) { values[el.name] = el.value; }
      } else {
        values[el.name] = el.value;
      }
    });
    return values;
  }

  function remember() {
    var saved = load();
    var values = currentValues();
    Object.keys(values).forEach(function (name) { saved.answers[name] = values[name]; });
    save(saved);
  }

  function restore() {
    // The phone's copy is never older than the server's (it is written on every change), so it wins.
    var answers = load().answers;
    var changed = 0;
    itemInputs().forEach(function (el) {
      if (!(el.name in answers)) { return; }
      var value = answers[el.name];
      if (el.type === "checkbox") {
        var tick = Array.isArray(value) && value.indexOf(el.value) !== -1;
        if (el.checked !== tick) { el.checked = tick; changed += 1; }
      } else if (el.type === "radio") {
        if (value !== null && el.checked !== (el.value === value)) { el.checked = el.value === value; changed += 1; }
      } else if (typeof value === "string" && el.value !== value) {
        el.value = value;
        changed += 1;
      }
    });
    return changed > 0;
  }

  if (restore()) { say(words.restored); }
  remember();
  form.addEventListener("input", remember);
  form.addEventListener("change", remember);

  /* ------------------------------------------------------------ submissions that survive a dropped connection */

  var sending = false;
  var delay = 2000;
  // A page the server sends back instead of a redirect is written into this document; its timer must not
  // outlive it, so the timer lives on the window (document.open keeps the window, drops its listeners).
  if (window.civicSurveyRetry) { window.clearTimeout(window.civicSurveyRetry); }

  function retryLater() {
    window.clearTimeout(window.civicSurveyRetry);
    window.civicSurveyRetry = window.setTimeout(send, delay);
    delay = Math.min(delay * 2, 60000);
  }

  function sameOrigin(url) {
    try { return new URL(url, window.location.href).origin === window.location.origin; } catch (error) { return false; }
  }

  function settled() {
    var saved = load();
    saved.pending = null;
    save(saved);
  }

  function send() {
    var pending = load().pending;
    if (!pending || sending) { return; }
    sending = true;
    window.clearTimeout(window.civicSurveyRetry);
    say(words.sending);
    var body = new URLSearchParams();
    pending.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    var controller = window.AbortController ? new AbortController() : null;
    var timeout = window.setTimeout(function () { if (controller) { controller.abort(); } }, 30000);
    fetch(pending.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      // The server answers a redirect with X-Survey-Location instead, so the browser makes the one GET itself
      // (a redirect followed by fetch would show, and use up, any message meant for the next page).
      headers: { "X-Survey-Fetch": "1", "Accept": "text/html" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      window.clearTimeout(timeout);
      if (response.status >= 500) { throw new Error("busy"); }
      var location = response.headers.get("X-Survey-Location");
      if (location && sameOrigin(location)) {
        settled();
        window.location.assign(location);
        return null;
      }
      return response.text().then(function (html) {
        // A page with messages (a question left out, a limit reached): show it as the server sent it.
        // (Only once it has fully arrived is the submission settled; a cut-off page means sending again.)
        settled();
        document.open();
        document.write(html);
        document.close();
      });
    }).catch(function (error) {
      window.clearTimeout(timeout);
      sending = false;
      var offline = navigator.onLine === false || !error || error.message !== "busy";
      say(offline ? words.offline : words.busy);
      retryLater();
    });
  }

  var lastButton = null;
  Array.prototype.forEach.call(form.querySelectorAll("[type=submit]"), function (button) {
    button.addEventListener("click", function () { lastButton = button; });
  });

  form.addEventListener("submit", function (event) {
    if (!window.fetch || !window.URLSearchParams) { return; }  // a plain form post
    event.preventDefault();
    var button = event.submitter || lastButton;
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === "submit" || el.type === "button") { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      fields.push([el.name, el.value]);
    });
    if (button && button.name) { fields.push([button.name, button.value]); }
    remember();
    var saved = load();
    saved.pending = { action: form.action, fields: fields };
    save(saved);
    delay = 2000;
    send();
  });

  window.addEventListener("online", function () {
    delay = 2000;
    send();
  });

  // Ready: from now on a submission that fails for the network is kept (tests wait for this mark).
  form.setAttribute("data-keeper", "on");

  // A submission kept from before (the tab was closed or reloaded while offline) is sent now.
  if (load().pending) {
    say(words.sending);
    send();
  }
})();
