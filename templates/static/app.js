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

// Publishing form: show the fields of the chosen kind, live preview of the
// body rendered by the server's own renderer, and the novelty check.
(function () {
  "use strict";
  var form = document.getElementById("record-form");
  if (!form) { return; }
  var kind = form.querySelector("[data-kind-select]");
  function showKind() {
    form.querySelectorAll("fieldset[data-kind]").forEach(function (fs) {
      var on = fs.dataset.kind.split(" ").indexOf(kind.value) >= 0;
      fs.hidden = !on;
      fs.disabled = !on;
    });
  }
  kind.addEventListener("change", showKind);
  showKind();

  var body = form.querySelector("textarea[name=body]");
  var title = form.querySelector("input[name=title]");
  var preview = document.querySelector(body.dataset.preview);
  var novelty = document.querySelector("#novelty ul");
  var timer = null;
  function refresh() {
    fetch("/api/preview?base=" + encodeURIComponent(form.dataset.filesBase || ""),
      { method: "POST", headers: { "Content-Type": "text/markdown" }, body: body.value })
      .then(function (r) { return r.json(); })
      .then(function (j) { preview.innerHTML = j.html; })
      .catch(function () {});
    if (!title.value.trim() && !body.value.trim()) { return; }
    var id = form.querySelector("input[name=id]").value;
    fetch("/api/novelty", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ title: title.value, body: body.value, id: id || null }) })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        novelty.textContent = "";
        (j.hits || []).forEach(function (h) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = h.url; a.textContent = h.title;
          var b = document.createElement("span");
          b.className = "badge"; b.textContent = h.similarity + "%";
          li.appendChild(a); li.appendChild(document.createTextNode(" ")); li.appendChild(b);
          novelty.appendChild(li);
        });
      })
      .catch(function () {});
  }
  [body, title].forEach(function (el) {
    el.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 300); });
  });

  // Files chosen in the form go to its draft at once, so the preview shows
  // them before the record exists; without script they go with the form.
  var picker = form.querySelector("input[type=file][name=files]");
  var listed = form.querySelector(".draft-files");
  var fileError = document.getElementById("err-files");
  if (picker && listed && form.dataset.draft) {
    picker.addEventListener("change", function () {
      var chosen = Array.prototype.slice.call(picker.files);
      fileError.textContent = "";
      picker.removeAttribute("aria-invalid");
      chosen.forEach(function (file) {
        var data = new FormData();
        data.append("csrf", form.querySelector("input[name=csrf]").value);
        data.append("file", file, file.name);
        fetch("/api/drafts/" + form.dataset.draft, { method: "POST", body: data })
          .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
          .then(function (res) {
            if (!res.ok) { throw new Error(res.body.error || res.body.message || "上传失败"); }
            var name = res.body.name;
            var li = document.createElement("li");
            var code = document.createElement("code");
            code.textContent = name;
            var insert = document.createElement("button");
            insert.type = "button";
            insert.className = "insert-file";
            insert.textContent = "插入正文";
            insert.addEventListener("click", function () {
              var text = (/\.pdf$/i.test(name) ? "[" : "![") + name + "](" + encodeURI(name) + ")";
              var at = body.selectionEnd || body.value.length;
              body.value = body.value.slice(0, at) + "\n\n" + text + "\n" + body.value.slice(at);
              body.dispatchEvent(new Event("input"));
            });
            li.appendChild(code);
            li.appendChild(document.createTextNode(" "));
            li.appendChild(insert);
            listed.appendChild(li);
            refresh();
          })
          .catch(function (e) {
            fileError.textContent = file.name + "：" + e.message;
            picker.setAttribute("aria-invalid", "true");
            picker.setAttribute("aria-describedby", "err-files");
          });
      });
      // Sent already: the form need not carry them again.
      picker.value = "";
    });
  }
})();

// Narrow screens: the header menu and the search filters start folded
// behind their summaries (the page keeps them open when script is off).
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 760px)");
  function fold() {
    document.querySelectorAll("details.site-menu, details.facets-toggle").forEach(function (d) {
      d.open = !narrow.matches;
    });
  }
  fold();
  if (narrow.addEventListener) { narrow.addEventListener("change", fold); }
})();
