/* Large text and high contrast without a page reload (so nothing typed on the page is lost).
   Without JavaScript the same buttons post the form and the server redirects back. */
(function () {
  "use strict";
  var form = document.querySelector("[data-display-form]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var root = document.documentElement;
  var CLASSES = ["text-large", "contrast-high", "contrast-normal"];
  var lastClicked = null;
  var fallback = false;

  function showState(button, on) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.value = on ? "off" : "on";
  }

  // No explicit contrast choice: the page follows the device's "prefers-contrast: more" (site.css).
  var contrastButton = form.querySelector("[data-setting=contrast]");
  if (contrastButton && window.matchMedia && !root.classList.contains("contrast-high") &&
      !root.classList.contains("contrast-normal") && window.matchMedia("(prefers-contrast: more)").matches) {
    showState(contrastButton, true);
  }

  Array.prototype.forEach.call(form.querySelectorAll("button[data-setting]"), function (button) {
    button.addEventListener("click", function () { lastClicked = button; });
  });

  form.addEventListener("submit", function (event) {
    var button = event.submitter || lastClicked;
    if (fallback || !button) { return; }
    event.preventDefault();
    var data = new FormData(form);
    data.append(button.name, button.value);
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      body: data
    }).then(function (response) {
      if (!response.ok) {
        // The server refused (e.g. an expired form): the plain form shows its explanation.
        fallback = true;
        button.click();
        return;
      }
      return response.json().then(show);
    }, function () {
      // No network: change this page now; the choice is saved the next time it is switched online.
      var on = button.value === "on";
      var name = button.getAttribute("data-setting");
      if (name === "large") { root.classList.toggle("text-large", on); }
      if (name === "contrast") {
        root.classList.toggle("contrast-high", on);
        root.classList.toggle("contrast-normal", !on);
      }
      showState(button, on);
    });
  });

  function show(state) {
    CLASSES.forEach(function (name) { root.classList.remove(name); });
    state.classes.split(" ").forEach(function (name) { if (name) { root.classList.add(name); } });
    Array.prototype.forEach.call(form.querySelectorAll("button[data-setting]"), function (each) {
      showState(each, !!state[each.getAttribute("data-setting")]);
    });
  }
})();
