// Type-ahead for the search boxes. Results are added as text nodes (textContent), never as
// HTML, so a model name cannot inject markup. Links point at this server's own pages.
(function () {
  "use strict";

  function attach(input) {
    var form = input.form;
    if (!form) return;
    var list = document.createElement("ul");
    list.className = "typeahead";
    list.hidden = true;
    list.setAttribute("role", "listbox");
    form.appendChild(list);
    var timer = null;
    var shown = "";
    var active = -1;

    function clear() {
      list.textContent = "";
      list.hidden = true;
      active = -1;
    }

    function render(hits) {
      list.textContent = "";
      active = -1;
      hits.forEach(function (hit) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = hit.href;
        var label = document.createElement("span");
        label.textContent = hit.label;
        var kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = hit.kind;
        link.appendChild(label);
        link.appendChild(kind);
        item.appendChild(link);
        list.appendChild(item);
      });
      list.hidden = hits.length === 0;
    }

    function update() {
      var text = input.value.trim();
      if (text === shown) return;
      shown = text;
      if (!text) {
        clear();
        return;
      }
      var url = form.action + "?format=json&limit=8&q=" + encodeURIComponent(text);
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { hits: [] }; })
        .then(function (data) {
          if (input.value.trim() === text) render(data.hits || []);
        })
        .catch(function () { clear(); });
    }

    function move(step) {
      var links = list.querySelectorAll("a");
      if (!links.length) return;
      if (active >= 0) links[active].classList.remove("active");
      active = (active + step + links.length) % links.length;
      links[active].classList.add("active");
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(update, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { move(1); event.preventDefault(); }
      else if (event.key === "ArrowUp") { move(-1); event.preventDefault(); }
      else if (event.key === "Escape") { clear(); }
      else if (event.key === "Enter" && active >= 0) {
        var links = list.querySelectorAll("a");
        event.preventDefault();
        window.location.href = links[active].href;
      }
    });
    input.addEventListener("blur", function () { setTimeout(clear, 200); });
  }

  document.querySelectorAll("input[data-typeahead]").forEach(attach);
})();
