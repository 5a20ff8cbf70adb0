// The Mini App form. Telegram opens this page with its sign-in (initData)
// in the address's fragment, or hands it over through its own script when
// that is loaded; the server checks it on every request. The engine does
// every check and says every word: this script only sends the fields and
// shows what comes back, beside the fields or in place of the form.
(function () {
  "use strict";
  var app = document.getElementById("app");
  if (!app) return;
  var slug = app.getAttribute("data-slug");
  var consentVersion = parseInt(app.getAttribute("data-consent-version"), 10);
  var fragment = new URLSearchParams(window.location.hash.slice(1));
  var telegram = window.Telegram && window.Telegram.WebApp;
  var initData = (telegram && telegram.initData) || fragment.get("tgWebAppData") || "";
  var form = document.getElementById("form");
  var sections = ["form", "review", "signed", "message", "refused"];

  applyTheme((telegram && telegram.themeParams) || parseJson(fragment.get("tgWebAppThemeParams")));
  if (telegram && telegram.ready) telegram.ready();

  function parseJson(text) {
    try { return text ? JSON.parse(text) : null; } catch (e) { return null; }
  }

  // Telegram's theme colours, where given, in place of the page's own.
  function applyTheme(theme) {
    if (!theme) return;
    var names = {
      bg_color: "--bg", text_color: "--text", hint_color: "--muted",
      button_color: "--accent", button_text_color: "--accent-text",
      secondary_bg_color: "--panel", link_color: null
    };
    var root = document.documentElement;
    var given = false;
    Object.keys(names).forEach(function (key) {
      var colour = theme[key];
      if (names[key] && typeof colour === "string" && /^#[0-9a-fA-F]{6}$/.test(colour)) {
        root.style.setProperty(names[key], colour);
        given = true;
      }
    });
    if (!given) return;
    root.classList.add("telegram");
    keepReadable(root);
  }

  // A theme's colours come with no promise of contrast (Telegram's own
  // default puts white on #2481cc, 4.1:1): every colour read against
  // another is kept at WCAG AA's 4.5:1 or better, moved towards black or
  // white as little as it takes.
  function keepReadable(root) {
    var style = getComputedStyle(root);
    function colour(name) {
      var hex = style.getPropertyValue(name).trim().replace("#", "");
      return [0, 2, 4].map(function (i) { return parseInt(hex.substr(i, 2), 16); });
    }
    function hex(rgb) {
      return "#" + rgb.map(function (c) { return ("0" + Math.round(c).toString(16)).slice(-2); }).join("");
    }
    function luminance(rgb) {
      var linear = rgb.map(function (c) {
        c /= 255;
        return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
      });
      return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
    }
    function contrast(a, b) {
      var x = luminance(a), y = luminance(b);
      return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
    }
    // A little over 4.5, so rounding to whole colour steps keeps it there.
    var enough = 4.6;
    function readableOn(fg, bg) {
      if (contrast(fg, bg) >= 4.5) return fg;
      var target = luminance(bg) > 0.179 ? [0, 0, 0] : [255, 255, 255];
      for (var step = 1; step <= 20; step++) {
        var mixed = fg.map(function (c, i) { return c + (target[i] - c) * step / 20; });
        if (contrast(mixed, bg) >= enough) return mixed;
      }
      return target;
    }
    var bg = colour("--bg");
    var accent = colour("--accent");
    root.style.setProperty("--accent-text", hex(readableOn(colour("--accent-text"), accent)));
    root.style.setProperty("--link", hex(readableOn(accent, bg)));
    root.style.setProperty("--text", hex(readableOn(colour("--text"), bg)));
    root.style.setProperty("--muted", hex(readableOn(colour("--muted"), bg)));
  }

  function show(name) {
    sections.forEach(function (section) {
      document.getElementById(section).hidden = section !== name;
    });
  }

  // The engine's plain text: paragraphs split by blank lines.
  function write(element, text) {
    element.textContent = "";
    text.split(/\n\n+/).forEach(function (paragraph) {
      var p = document.createElement("p");
      paragraph.split("\n").forEach(function (line, i) {
        if (i > 0) p.appendChild(document.createElement("br"));
        p.appendChild(document.createTextNode(line));
      });
      element.appendChild(p);
    });
  }

  function clearProblems() {
    ["name", "email", "location", "consent"].forEach(function (field) {
      document.getElementById(field + "-error").textContent = "";
      document.getElementById(field).removeAttribute("aria-invalid");
    });
    document.getElementById("form-error").textContent = "";
  }

  function post(path, body) {
    body.init_data = initData;
    return fetch("/" + slug + "/app/" + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () {
        return { step: "message", text: response.statusText || "Error " + response.status };
      });
    });
  }

  function handle(answer) {
    if (answer.step === "form") {
      show("form");
      var first = null;
      (answer.problems || []).forEach(function (problem) {
        var error = document.getElementById(problem.field + "-error");
        var input = document.getElementById(problem.field);
        if (!error || !input) return;
        error.textContent = problem.text;
        input.setAttribute("aria-invalid", "true");
        if (!first) first = input;
      });
      if (first) first.focus();
    } else if (answer.step === "review") {
      write(document.getElementById("review-text"), answer.text);
      var confirm = document.getElementById("confirm-button");
      confirm.textContent = answer.confirm.label;
      confirm.setAttribute("data-choice", answer.confirm.data);
      show("review");
      confirm.focus();
    } else if (answer.step === "signed") {
      write(document.getElementById("signed-text"), answer.text);
      var link = document.getElementById("share-link");
      link.textContent = answer.share_url || "";
      link.href = answer.share_url || "#";
      show("signed");
    } else if (answer.step === "refused") {
      show("refused");
    } else {
      write(document.getElementById("message-text"), answer.text || "");
      show("message");
    }
  }

  function failed() {
    document.getElementById("form-error").textContent = document.getElementById("refused-text").textContent;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearProblems();
    post("form", {
      name: document.getElementById("name").value,
      email: document.getElementById("email").value,
      location: document.getElementById("location").value,
      consent: document.getElementById("consent").checked,
      consent_version: consentVersion,
      updates: document.getElementById("updates").checked
    }).then(handle, failed);
  });

  document.getElementById("confirm-button").addEventListener("click", function () {
    var choice = this.getAttribute("data-choice");
    post("confirm", { choice: choice }).then(handle, failed);
  });

  document.getElementById("change-button").addEventListener("click", function () {
    show("form");
    document.getElementById("name").focus();
  });

  show(initData ? "form" : "refused");
})();
