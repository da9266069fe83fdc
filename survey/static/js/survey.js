/* Progressive enhancement of the survey: an optional instant check of each knowledge answer,
   answered by the server's own scoring service. Without JavaScript the survey works unchanged. */
(function () {
  "use strict";
  var form = document.querySelector(".survey-form");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-check-url");
  var token = form.querySelector("input[name=csrf_token]");
  // Every word comes from the server's translated template (data-word-* attributes).
  var words = {};
  ["check", "right", "wrong", "answer", "more", "first", "fail", "separator"].forEach(function (key) {
    words[key] = form.getAttribute("data-word-" + key) || "";
  });

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
})();
