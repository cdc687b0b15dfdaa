/* Consola municipal: the live queue. Polls /consola/cola.json and replaces the rows that changed,
   the summary, the office-hours line and the page title. No inline code, no eval (strict CSP). */
(function () {
  "use strict";
  var section = document.getElementById("cola");
  var list = document.getElementById("cola-filas");
  if (!section || !list || !window.fetch) { return; }
  var source = section.getAttribute("data-fuente");
  var every = Math.max(2, parseInt(section.getAttribute("data-cada"), 10) || 5) * 1000;
  var shown = {};  /* row id -> the HTML last put in the page */

  function rowFrom(html) {
    var holder = document.createElement("ul");
    holder.innerHTML = html;  /* rendered and escaped by the server (console_queue.row_html) */
    return holder.firstElementChild;
  }

  function busy(node) {  /* a staffer is choosing an agent or about to press a button there */
    return node.contains(document.activeElement) && document.activeElement !== node;
  }

  function render(data) {
    document.title = data.titulo;
    var summary = document.getElementById("cola-resumen");
    if (summary && summary.textContent !== data.resumen) { summary.textContent = data.resumen; }
    var office = document.getElementById("cola-horario");
    if (office) {
      office.textContent = data.horario.texto;
      office.className = "horario horario-" + data.horario.estado;
    }
    var wanted = {};
    var previous = null;
    data.filas.forEach(function (row) {
      var id = String(row.id);
      wanted[id] = true;
      var node = list.querySelector('li[data-id="' + id + '"]');
      if (!node || (shown[id] !== row.html && !busy(node))) {
        var fresh = rowFrom(row.html);
        if (node) { list.replaceChild(fresh, node); } else { list.appendChild(fresh); }
        node = fresh;
        shown[id] = row.html;
      }
      var expected = previous ? previous.nextElementSibling : list.firstElementChild;
      if (expected !== node && !busy(node)) { list.insertBefore(node, expected); }
      previous = node;
    });
    Array.prototype.slice.call(list.children).forEach(function (node) {
      var id = node.getAttribute("data-id");
      if (!id || !wanted[id]) {
        if (id) { delete shown[id]; }
        list.removeChild(node);
      }
    });
    if (!data.filas.length) {
      var empty = document.createElement("li");
      empty.className = "vacia";
      empty.textContent = data.vacio;
      list.appendChild(empty);
    }
  }

  function poll() {
    fetch(source, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }  /* the session ended */
        return response.ok ? response.json() : null;
      })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () { /* offline for a moment: try again at the next tick */ })
      .then(function () { window.setTimeout(poll, every); });
  }

  window.setTimeout(poll, every);
})();
