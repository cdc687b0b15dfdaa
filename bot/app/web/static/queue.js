/* Consola municipal: the live queue. Polls /consola/cola.json and replaces the rows that changed,
   the summary, the office-hours line and the page title; when a new conversation arrives it can play a
   short tone (Web Audio, no file), turned on and off by the "Sonido" button and remembered in
   localStorage. No inline code, no eval (strict CSP). */
(function () {
  "use strict";
  var section = document.getElementById("cola");
  var list = document.getElementById("cola-filas");
  if (!section || !list || !window.fetch) { return; }
  var source = section.getAttribute("data-fuente");
  var every = Math.max(2, parseInt(section.getAttribute("data-cada"), 10) || 5) * 1000;
  var shown = {};  /* row id -> the HTML last put in the page */
  var known = {};  /* ids of the conversations already in the queue (a new one sounds) */
  Array.prototype.slice.call(list.querySelectorAll("li[data-id]")).forEach(function (node) {
    known[node.getAttribute("data-id")] = true;
  });

  /* --- The optional tone for a new conversation ------------------------------------------------ */
  var SOUND_KEY = "consola.cola.sonido";
  var toggle = document.getElementById("cola-sonido");
  var audio = null;

  function stored() {
    try { return window.localStorage.getItem(SOUND_KEY) === "1"; } catch (e) { return false; }
  }

  function store(on) {
    try { window.localStorage.setItem(SOUND_KEY, on ? "1" : "0"); } catch (e) { /* private mode: this page only */ }
  }

  function soundOn() { return !!toggle && toggle.getAttribute("aria-pressed") === "true"; }

  function showToggle(on) {
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    toggle.textContent = on ? "Sonido: activado" : "Sonido: desactivado";
  }

  function context() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) { audio = new Context(); }
    if (audio && audio.state === "suspended" && audio.resume) { audio.resume(); }
    return audio;
  }

  function tone() {  /* two short notes, soft */
    var played = parseInt(toggle.getAttribute("data-sonidos"), 10) || 0;
    toggle.setAttribute("data-sonidos", String(played + 1));  /* how many times it sounded (tests read it) */
    var ctx = null;
    try { ctx = context(); } catch (e) { return; }  /* no audio device: the title still counts */
    if (!ctx) { return; }
    [[880, 0], [1320, 0.16]].forEach(function (note) {
      var oscillator = ctx.createOscillator();
      var gain = ctx.createGain();
      var start = ctx.currentTime + note[1];
      oscillator.type = "sine";
      oscillator.frequency.value = note[0];
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.14);
      oscillator.connect(gain);
      gain.connect(ctx.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.15);
    });
  }

  if (toggle) {
    showToggle(stored());
    toggle.parentNode.hidden = false;  /* without JavaScript the button would do nothing: hidden */
    toggle.addEventListener("click", function () {
      var on = !soundOn();
      showToggle(on);
      store(on);
      if (on) { try { context(); } catch (e) { /* no audio here */ } }  /* a click lets the audio start */
    });
  }

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
    var arrived = false;
    data.filas.forEach(function (row) {
      var id = String(row.id);
      wanted[id] = true;
      if (!known[id]) { known[id] = true; arrived = true; }
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
    if (arrived && soundOn()) { tone(); }
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
