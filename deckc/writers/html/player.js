/* deckc lesson player: slide navigation (buttons, keys, #slide-k, remembered position), the
   interactive quick check, presenter view (?presenter or P). No dependencies, no requests. */
(function () {
  "use strict";
  var doc = document, root = doc.documentElement;
  var data = JSON.parse(doc.getElementById("deckc-data").textContent);
  var key = "deckc:" + data.lesson + ":slide";
  var slides = Array.prototype.slice.call(doc.querySelectorAll(".slide"));
  var stops = Array.prototype.slice.call(doc.querySelectorAll("[data-stop]"));
  var notesById = {};
  data.stops.forEach(function (s) { notesById[s.id] = s; });
  var counter = doc.querySelector("#counter .k"), bar = doc.querySelector(".progress");
  var fill = doc.querySelector(".progress-fill"), prev = doc.querySelector(".nav.prev");
  var next = doc.querySelector(".nav.next"), dots = doc.querySelectorAll(".dot");
  var player = doc.querySelector(".player");
  var presenter = false, current = 0, reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  root.classList.add("js");

  function store(k, v) { try { localStorage.setItem(k, v); } catch (e) { /* file:// in private mode */ } }
  function load(k) { try { return localStorage.getItem(k); } catch (e) { return null; } }

  /* the sequence being paged: the slides, or in presenter view every stop (header, slides, sections) */
  function seq() { return presenter ? stops : slides; }

  function show(i, opts) {
    opts = opts || {};
    var items = seq(), n = items.length;
    if (!n) return;
    i = Math.max(0, Math.min(n - 1, i));
    var dir = i >= current ? 1 : -1;
    current = i;
    var el = items[i];
    setReveals(el, opts.reveal === undefined ? Infinity : opts.reveal);
    if (presenter) {
      stops.forEach(function (s) { if (s === el) s.removeAttribute("data-hidden-stop"); else s.setAttribute("data-hidden-stop", ""); });
      var inPlayer = slides.indexOf(el);
      if (inPlayer >= 0) showSlide(inPlayer, dir, opts);
      else slides.forEach(function (s, j) { s.hidden = j !== 0; });
      if (player) player.toggleAttribute("data-hidden-stop", inPlayer < 0);
      updatePanel(i);
    } else {
      showSlide(i, dir, opts);
    }
    var hash = "#" + (presenter ? el.id : "slide-" + (i + 1));
    if (location.hash !== hash) history.replaceState(null, "", location.pathname + location.search + hash);
    if (!presenter) store(key, String(i + 1));
  }

  function showSlide(k, dir, opts) {
    var n = slides.length;
    if (!n) return;                  /* a lesson without slides: no player on the page */
    slides.forEach(function (s, j) {
      var on = j === k;
      s.hidden = !on;
      s.classList.remove("is-entering");
      if (on && opts.animate && !reduced) {
        s.style.setProperty("--from", (dir * 24) + "px");
        void s.offsetWidth;          /* restart the animation */
        s.classList.add("is-entering");
      }
    });
    counter.textContent = String(k + 1);
    bar.setAttribute("aria-valuenow", String(k + 1));
    bar.setAttribute("aria-valuetext", "Slide " + (k + 1) + " of " + n);
    fill.style.width = (n > 1 ? (k + 1) / n * 100 : 100) + "%";
    Array.prototype.forEach.call(dots, function (d, j) {
      if (j === k) d.setAttribute("aria-current", "true"); else d.removeAttribute("aria-current");
    });
    if (!presenter) {
      var had = doc.activeElement;
      prev.disabled = k === 0;
      next.disabled = k === n - 1;
      /* a button that just became disabled would drop the keyboard focus to the page */
      if (had === next && next.disabled) prev.focus();
      if (had === prev && prev.disabled) next.focus();
    }
  }

  /* ---- reveals: a slide's [data-reveal] items (revealed bullets and steps, in reading order) are
     shown one per Next, as the PPTX does per click, and Previous takes the last one back, as
     PowerPoint steps back through its clicks. A slide entered by Next starts with none shown;
     entered any other way (Previous, a dot, a link, a reload) it shows them all. */
  function reveals(el) { return el ? Array.prototype.slice.call(el.querySelectorAll("[data-reveal]")) : []; }
  function setReveals(el, shown) {
    reveals(el).forEach(function (r, j) {
      r.classList.toggle("is-pending", j >= shown);
      r.classList.remove("is-arriving");
    });
    revealCount(el);
  }
  function revealCount(el) {
    var all = reveals(el), note = doc.querySelector("#counter .steps");
    if (!note) return;
    var done = all.filter(function (r) { return !r.classList.contains("is-pending"); }).length;
    note.textContent = all.length ? ", point " + done + " of " + all.length : "";
  }
  function step(delta) {
    var el = seq()[current], all = reveals(el);
    var done = all.filter(function (r) { return !r.classList.contains("is-pending"); });
    if (delta > 0 && done.length < all.length) {
      var r = all[done.length];
      r.classList.remove("is-pending");
      if (!reduced) { void r.offsetWidth; r.classList.add("is-arriving"); }
    } else if (delta < 0 && done.length) {
      done[done.length - 1].classList.add("is-pending");
    } else {
      return false;
    }
    revealCount(el);
    return true;
  }

  function go(delta) {
    if (!step(delta)) show(current + delta, { animate: true, reveal: delta > 0 ? 0 : Infinity });
  }

  if (prev) prev.addEventListener("click", function () { go(-1); });
  if (next) next.addEventListener("click", function () { go(1); });
  Array.prototype.forEach.call(dots, function (d) {
    d.addEventListener("click", function () {
      var k = Number(d.getAttribute("data-go")) - 1;
      show(presenter ? stops.indexOf(slides[k]) : k, { animate: true });
    });
  });

  doc.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var t = e.target, tag = t && t.tagName;
    var typing = tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable);
    var control = tag === "BUTTON" || tag === "A" || tag === "SUMMARY";
    if (typing) return;
    var k = e.key, n = seq().length;
    if (k === "ArrowRight" || k === "PageDown" || (k === " " && !control && !e.shiftKey)) { go(1); }
    else if (k === "ArrowLeft" || k === "PageUp" || (k === " " && !control && e.shiftKey)) { go(-1); }
    else if (k === "Home" && !control) { show(0, { animate: true }); }
    else if (k === "End" && !control) { show(n - 1, { animate: true }); }
    else if ((k === "p" || k === "P") && !e.shiftKey) { setPresenter(!presenter); return; }
    else return;
    e.preventDefault();
  });

  function fromHash() {
    var m = /^#slide-(\d+)$/.exec(location.hash);
    if (m) return presenter ? stops.indexOf(slides[Number(m[1]) - 1]) : Number(m[1]) - 1;
    var el = location.hash && doc.getElementById(location.hash.slice(1));
    if (el && presenter && stops.indexOf(el) >= 0) return stops.indexOf(el);
    return -1;
  }
  window.addEventListener("hashchange", function () {
    var i = fromHash();
    if (i >= 0 && i !== current) show(i, { animate: true });
  });

  /* ---- the quick check ---- */
  Array.prototype.forEach.call(doc.querySelectorAll(".quiz"), function (quiz) {
    var answer = quiz.getAttribute("data-answer");
    var options = quiz.querySelectorAll(".option"), verdict = quiz.querySelector(".verdict");
    var why = quiz.querySelector(".why"), retry = quiz.querySelector(".retry");
    Array.prototype.forEach.call(options, function (o) {
      o.addEventListener("click", function () {
        var right = o.getAttribute("data-letter") === answer;
        Array.prototype.forEach.call(options, function (x) { x.disabled = true; x.setAttribute("aria-disabled", "true"); });
        o.classList.add(right ? "is-right" : "is-wrong");
        o.setAttribute("aria-pressed", "true");
        verdict.className = "verdict " + (right ? "right" : "wrong");
        verdict.textContent = right ? "✓ Correct: " + o.getAttribute("data-letter") + " is right."
          : "✗ Not quite: " + o.getAttribute("data-letter") + " is not the answer. Read why, then try again.";
        why.hidden = false;
        retry.hidden = right;
        (right ? verdict : retry).setAttribute("tabindex", "-1");
        (right ? verdict : retry).focus();
      });
    });
    retry.addEventListener("click", function () {
      Array.prototype.forEach.call(options, function (x) {
        x.disabled = false; x.removeAttribute("aria-disabled"); x.removeAttribute("aria-pressed");
        x.classList.remove("is-right", "is-wrong");
      });
      verdict.textContent = ""; verdict.className = "verdict"; why.hidden = true;
      options[0].focus();
    });
  });

  /* ---- presenter view: notes, the next stop, a timer against the lesson's minutes ---- */
  var panel = doc.getElementById("presenter"), notesEl = doc.getElementById("notes");
  var preview = doc.getElementById("next-preview"), timerEl = panel.querySelector(".timer");
  var elapsedEl = panel.querySelector(".elapsed"), timeFill = panel.querySelector(".time-fill");
  var started = null, banked = 0, tick = null;
  function seconds() { return banked + (started ? (Date.now() - started) / 1000 : 0); }
  function renderTime() {
    var s = Math.floor(seconds()), budget = data.minutes * 60;
    elapsedEl.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
    timeFill.style.width = Math.min(100, budget ? s / budget * 100 : 0) + "%";
    timerEl.classList.toggle("over", s > budget);
  }
  function runTimer(on) {
    if (on && !started) { started = Date.now(); tick = setInterval(renderTime, 1000); }
    if (!on && started) { banked = seconds(); started = null; clearInterval(tick); }
    panel.querySelector(".timer-toggle").textContent = started ? "Pause" : "Start";
    renderTime();
  }
  panel.querySelector(".timer-toggle").addEventListener("click", function () { runTimer(!started); });
  panel.querySelector(".timer-reset").addEventListener("click", function () { banked = 0; if (started) started = Date.now(); renderTime(); });
  panel.querySelector(".presenter-exit").addEventListener("click", function () { setPresenter(false); });

  function updatePanel(i) {
    var s = notesById[stops[i].id] || { notes: "" };
    notesEl.textContent = "";
    s.notes.split(/\n\s*\n/).forEach(function (para) {
      if (!para.trim()) return;
      var p = doc.createElement("p"); p.textContent = para.trim(); notesEl.appendChild(p);
    });
    preview.textContent = "";
    var nxt = stops[i + 1];
    if (nxt) {
      var clone = nxt.cloneNode(true);
      clone.removeAttribute("data-hidden-stop"); clone.hidden = false;
      [clone].concat(Array.prototype.slice.call(clone.querySelectorAll("[id]"))).forEach(function (x) { x.removeAttribute("id"); });
      Array.prototype.forEach.call(clone.querySelectorAll("[hidden]"), function (x) { x.hidden = false; });
      Array.prototype.forEach.call(clone.querySelectorAll(".is-pending"), function (x) { x.classList.remove("is-pending"); });
      clone.setAttribute("inert", "");
      preview.appendChild(clone);
    } else {
      preview.textContent = "End of the lesson.";
    }
  }

  function setPresenter(on) {
    var at = presenter ? stops[current] : slides[current];
    presenter = on;
    root.classList.toggle("presenter", on);
    panel.hidden = !on;
    var url = new URL(location.href);
    if (on) url.searchParams.set("presenter", ""); else url.searchParams.delete("presenter");
    history.replaceState(null, "", url.pathname + url.search.replace(/=(&|$)/, "$1") + url.hash);
    if (!on) {
      stops.forEach(function (s) { s.removeAttribute("data-hidden-stop"); });
      if (player) player.removeAttribute("data-hidden-stop");
      var k = slides.indexOf(at);
      current = k >= 0 ? k : 0;
      show(current);
    } else {
      current = Math.max(0, stops.indexOf(at));
      show(current);
      runTimer(true);
    }
  }

  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(doc.querySelectorAll(".static-answer"), function (d) { d.open = true; });
  });

  presenter = new URLSearchParams(location.search).has("presenter");
  if (presenter) { root.classList.add("presenter"); panel.hidden = false; runTimer(true); }
  var start = fromHash();
  if (start < 0 && !presenter) start = (Number(load(key)) || 1) - 1;
  show(Math.max(0, start));
})();
