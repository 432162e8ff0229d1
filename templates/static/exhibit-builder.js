// The exhibit builder's drag and drop: an item dragged onto another item
// is placed before it, onto a section's list at its end. It only submits
// the same "move_to" form the buttons use, so the builder works the same
// without this script.
(function () {
  "use strict";
  var builder = document.querySelector(".exhibit-builder[data-edit]");
  if (!builder) return;
  var dragged = null;

  function move(target, position) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = builder.getAttribute("data-edit");
    var fields = {
      csrf: builder.getAttribute("data-csrf"),
      etag: builder.getAttribute("data-etag"),
      op: "move_to",
      section: dragged.getAttribute("data-section"),
      item: dragged.getAttribute("data-item"),
      target: target
    };
    if (position !== null) fields.position = position;
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  builder.querySelectorAll("li[data-item]").forEach(function (li) {
    li.setAttribute("draggable", "true");
    li.addEventListener("dragstart", function (event) {
      dragged = li;
      li.classList.add("dragging");
      if (event.dataTransfer) {
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", li.getAttribute("data-item"));
      }
    });
    li.addEventListener("dragend", function () {
      li.classList.remove("dragging");
    });
  });

  builder.querySelectorAll("ol[data-section]").forEach(function (list) {
    list.addEventListener("dragover", function (event) {
      if (dragged) event.preventDefault();
    });
    list.addEventListener("drop", function (event) {
      if (!dragged) return;
      event.preventDefault();
      var over = event.target.closest ? event.target.closest("li[data-item]") : null;
      var target = list.getAttribute("data-section");
      if (over === dragged) return;
      move(target, over ? over.getAttribute("data-item") : null);
    });
  });
})();
