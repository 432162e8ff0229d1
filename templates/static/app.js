// Search-as-you-type: titles from /api/suggest under the search box.
// The page works without it; this only adds shortcuts.
(function () {
  "use strict";
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = input.form.querySelector(".suggestions");
    var timer = null;
    var active = -1;
    var lastQuery = "";

    function items() { return list.querySelectorAll("a"); }
    function hide() { list.hidden = true; active = -1; }
    function highlight(i) {
      var links = items();
      links.forEach(function (a, j) { a.classList.toggle("active", i === j); });
      active = i;
    }
    function show(suggestions) {
      list.textContent = "";
      suggestions.forEach(function (s) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = s.url;
        a.textContent = s.title;
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = suggestions.length === 0;
      active = -1;
    }
    function fetchSuggestions() {
      var q = input.value.trim();
      if (q === lastQuery) { return; }
      lastQuery = q;
      if (!q) { hide(); return; }
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (body) { if (input.value.trim() === q) { show(body.suggestions || []); } })
        .catch(hide);
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 120);
    });
    input.addEventListener("keydown", function (e) {
      var links = items();
      if (list.hidden || links.length === 0) { return; }
      if (e.key === "ArrowDown") { e.preventDefault(); highlight((active + 1) % links.length); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight((active - 1 + links.length) % links.length); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); window.location.href = links[active].href; }
      else if (e.key === "Escape") { hide(); }
    });
    input.addEventListener("blur", function () { setTimeout(hide, 150); });
  });
})();
