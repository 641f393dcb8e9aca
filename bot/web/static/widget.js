/*
 * monobot chat widget: <script src="https://BOT-HOST/widget.js" data-title="..." defer></script>
 *
 * Plain JavaScript, no framework. Everything lives in a shadow root so the host page's CSS cannot
 * break it and its CSS cannot leak. All answer and corpus text is inserted with textContent, never with
 * HTML parsing. No inline script or style is needed, so it runs under a strict Content-Security-Policy.
 */
(function () {
  "use strict";
  if (window.__monobotWidget) return;
  window.__monobotWidget = true;

  var script = document.currentScript || document.querySelector('script[src$="/widget.js"]');
  var origin = new URL(script && script.src ? script.src : window.location.href).origin;
  var api = (script && script.dataset.api) || origin;
  var title = (script && script.dataset.title) || "Ask the monographs";
  var STORE_KEY = "monobot:conversation:" + api;
  var STARTERS = [
    "Is Cerebrolysin safe?",
    "Does Semax improve memory?",
    "Has BPC-157 been tested in humans?",
    "What did the CASTA trial find?"
  ];
  var LABELS = {
    refused: "Can't help with that",
    abstained: "Not covered by the monographs"
  };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  // ---- state (kept for the tab's lifetime in sessionStorage)
  var state = { open: false, messages: [] };
  try {
    var saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
    if (saved && Array.isArray(saved.messages)) state = saved;
  } catch (e) { /* a corrupt entry starts a fresh conversation */ }
  function save() {
    try { sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* storage full or blocked */ }
  }
  function history() {
    return state.messages.filter(function (m) { return m.role === "user" || (m.role === "assistant" && m.answer); })
      .slice(-12).map(function (m) { return { role: m.role, content: m.role === "user" ? m.text : m.answer.answer }; });
  }

  // ---- DOM
  var host = el("div", { id: "monobot-widget" });
  var root = host.attachShadow({ mode: "open" });
  try {
    var sheet = new CSSStyleSheet();
    fetch(origin + "/widget.css").then(function (r) { return r.text(); }).then(function (css) { sheet.replaceSync(css); });
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.appendChild(el("link", { rel: "stylesheet", href: origin + "/widget.css" }));
  }

  var launcher = el("button", { className: "launcher", type: "button", "aria-haspopup": "dialog", "aria-expanded": "false", "aria-controls": "mb-panel", text: "Ask the monographs" });
  var closeBtn = el("button", { className: "close", type: "button", "aria-label": "Close chat", text: "×" });
  var resetBtn = el("button", { className: "reset", type: "button", text: "New chat" });
  var log = el("div", { className: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": "Conversation" });
  var starters = el("div", { className: "starters", "aria-label": "Suggested questions" });
  var input = el("textarea", { className: "input", rows: "2", maxlength: "2000", "aria-label": "Your question", placeholder: "Ask about safety, evidence or trials…" });
  var send = el("button", { className: "send", type: "submit", text: "Send" });
  var form = el("form", { className: "composer" }, [input, send]);
  var disclaimer = el("p", { className: "disclaimer", text: "Evidence summaries from our monographs, not medical advice. Talk to a doctor before taking anything." });
  var panel = el("section", { className: "panel", id: "mb-panel", role: "dialog", "aria-label": title, hidden: "" }, [
    el("header", {}, [el("h2", { text: title }), resetBtn, closeBtn]),
    disclaimer, log, starters, form
  ]);
  root.appendChild(launcher);
  root.appendChild(panel);

  STARTERS.forEach(function (q) {
    var b = el("button", { type: "button", className: "starter", text: q });
    b.addEventListener("click", function () { ask(q); });
    starters.appendChild(b);
  });

  // ---- rendering (text only)
  function renderAnswerText(container, answer) {
    var byN = {};
    (answer.citations || []).forEach(function (c) { byN[c.n] = c; });
    var parts = String(answer.answer || "").split(/(\[\d+\])/);
    parts.forEach(function (part) {
      var m = /^\[(\d+)\]$/.exec(part);
      if (m && byN[m[1]]) {
        var c = byN[m[1]];
        container.appendChild(el("a", { className: "cite", href: c.url, target: "_blank", rel: "noopener noreferrer", "aria-label": "Source " + c.n + ": " + c.title + ", " + c.section, text: "[" + c.n + "]" }));
      } else {
        container.appendChild(document.createTextNode(part));
      }
    });
  }

  // A table-row excerpt ("| h | h |" lines) is shown as a small table; anything else as a quote.
  function renderExcerpt(text) {
    var lines = String(text || "").split("\n");
    if (lines.length >= 2 && lines.every(function (l) { return /^\|.*\|$/.test(l.trim()); })) {
      var cells = function (line) { return line.trim().slice(1, -1).split("|").map(function (c) { return c.trim(); }); };
      var table = el("table", { className: "excerpt-table" });
      var head = el("tr", {}, cells(lines[0]).map(function (c) { return el("th", { scope: "col", text: c }); }));
      table.appendChild(el("thead", {}, [head]));
      table.appendChild(el("tbody", {}, lines.slice(1).map(function (line) {
        return el("tr", {}, cells(line).map(function (c) { return el("td", { text: c }); }));
      })));
      return table;
    }
    return el("blockquote", { text: text });
  }

  function thumbIcon(down) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3a1.5 1.5 0 0 0-.4-1.1L13.2 1 6.6 7.6A2 2 0 0 0 6 9v10a2 2 0 0 0 2 2h9a2 2 0 0 0 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z");
    path.setAttribute("fill", "currentColor");
    if (down) svg.setAttribute("transform", "rotate(180)");
    svg.appendChild(path);
    return svg;
  }

  function renderSources(answer, open) {
    if (!answer.citations || !answer.citations.length) return null;
    var list = el("ol", { className: "sources", "aria-label": "Sources" });
    answer.citations.forEach(function (c) {
      var item = el("li", { value: String(c.n) }, [
        el("a", { href: c.url, target: "_blank", rel: "noopener noreferrer", className: "source-link", text: c.title + " — " + c.section }),
        renderExcerpt(c.excerpt)
      ]);
      if (c.sources && c.sources.length) {
        var refs = el("ul", { className: "refs" });
        c.sources.forEach(function (s) {
          var li = el("li", { text: "[" + s.n + "] " + s.citation.replace(/\.?\s*PMID:?\s*\d+\.?$/, "") + " " });
          if (s.pmid) li.appendChild(el("a", { href: "https://pubmed.ncbi.nlm.nih.gov/" + encodeURIComponent(s.pmid) + "/", target: "_blank", rel: "noopener noreferrer", text: "PubMed " + s.pmid }));
          refs.appendChild(li);
        });
        item.appendChild(refs);
      }
      list.appendChild(item);
    });
    var box = el("details", { className: "sources-box" }, [el("summary", { text: "Sources and excerpts (" + answer.citations.length + ")" }), list]);
    if (open) box.open = true;
    return box;
  }

  function feedbackRow(message) {
    var row = el("div", { className: "feedback", role: "group", "aria-label": "Was this helpful?" });
    var up = el("button", { type: "button", className: "thumb up", "aria-label": "Helpful", title: "Helpful", "aria-pressed": String(message.rating === "up") }, [thumbIcon(false)]);
    var down = el("button", { type: "button", className: "thumb down", "aria-label": "Not helpful", title: "Not helpful", "aria-pressed": String(message.rating === "down") }, [thumbIcon(true)]);
    var note = el("span", { className: "thanks", text: message.rating ? "Thanks for the feedback" : "" });
    function rate(rating) {
      message.rating = rating;
      save();
      up.setAttribute("aria-pressed", String(rating === "up"));
      down.setAttribute("aria-pressed", String(rating === "down"));
      note.textContent = "Thanks for the feedback";
      fetch(api + "/api/feedback", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ answer_id: message.answer.id, rating: rating }) })
        .then(function (r) { if (!r.ok) note.textContent = "Feedback couldn't be saved"; })
        .catch(function () { note.textContent = "Feedback couldn't be saved"; });
    }
    up.addEventListener("click", function () { rate("up"); });
    down.addEventListener("click", function () { rate("down"); });
    row.appendChild(up); row.appendChild(down); row.appendChild(note);
    return row;
  }

  function renderMessage(message, latest) {
    if (message.role === "user") return el("div", { className: "msg user" }, [el("p", { text: message.text })]);
    if (message.error) return el("div", { className: "msg bot error", role: "alert" }, [el("p", { text: message.error })]);
    var answer = message.answer;
    var box = el("div", { className: "msg bot status-" + answer.status, "data-status": answer.status });
    if (LABELS[answer.status]) box.appendChild(el("p", { className: "badge", text: LABELS[answer.status] }));
    var text = el("p", { className: "answer" });
    renderAnswerText(text, answer);
    box.appendChild(text);
    if (answer.notice) box.appendChild(el("p", { className: "notice", text: answer.notice }));
    var sources = renderSources(answer, latest);
    if (sources) box.appendChild(sources);
    box.appendChild(feedbackRow(message));
    return box;
  }

  function renderAll() {
    while (log.firstChild) log.removeChild(log.firstChild);
    state.messages.forEach(function (m, i) { log.appendChild(renderMessage(m, i === state.messages.length - 1)); });
    starters.hidden = state.messages.length > 0;
    log.scrollTop = log.scrollHeight;
  }

  // ---- the conversation
  var busy = false;
  function parseEvents(buffer, onEvent) {
    var events = buffer.split("\n\n");
    var rest = events.pop();
    events.forEach(function (block) {
      var name = "message", data = "";
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event: ") === 0) name = line.slice(7);
        else if (line.indexOf("data: ") === 0) data += line.slice(6);
      });
      if (data) onEvent(name, JSON.parse(data));
    });
    return rest;
  }

  function ask(question) {
    question = String(question || "").trim();
    if (!question || busy) return;
    busy = true;
    send.disabled = true;
    var past = history();
    state.messages.push({ role: "user", text: question });
    save();
    renderAll();
    var pending = el("div", { className: "msg bot pending", "aria-busy": "true" }, [el("p", { className: "answer", text: "Looking in the monographs…" })]);
    log.appendChild(pending);
    var streamed = pending.querySelector(".answer");
    var started = false;
    function finish(message) {
      state.messages.push(message);
      save();
      busy = false;
      send.disabled = false;
      renderAll();
      input.focus();
    }
    fetch(api + "/api/chat/stream", { method: "POST", headers: { "Content-Type": "application/json", "Accept": "text/event-stream" }, body: JSON.stringify({ message: question, history: past }) })
      .then(function (response) {
        if (!response.ok) {
          return response.json().catch(function () { return {}; }).then(function (body) {
            var msg = (body.error && body.error.message) || ("The service answered " + response.status + ".");
            finish({ role: "assistant", error: msg });
          });
        }
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        var done = false;
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) { if (!done) finish({ role: "assistant", error: "The answer was cut off. Please try again." }); return; }
            buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), function (name, data) {
              if (name === "delta") {
                if (!started) { streamed.textContent = ""; started = true; }
                streamed.textContent += data.text;
              } else if (name === "done") {
                done = true;
                finish({ role: "assistant", answer: data });
              } else if (name === "error") {
                done = true;
                finish({ role: "assistant", error: data.message || "Something went wrong." });
              }
            });
            if (!done) return pump();
          });
        }
        return pump();
      })
      .catch(function () { finish({ role: "assistant", error: "Couldn't reach the service. Check your connection and try again." }); });
  }

  // ---- open, close, keyboard
  function setOpen(open) {
    state.open = open;
    save();
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) { renderAll(); input.focus(); } else { launcher.focus(); }
  }
  launcher.addEventListener("click", function () { setOpen(!state.open); });
  closeBtn.addEventListener("click", function () { setOpen(false); });
  resetBtn.addEventListener("click", function () { state.messages = []; save(); renderAll(); input.focus(); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") setOpen(false); });
  form.addEventListener("submit", function (event) { event.preventDefault(); var q = input.value; input.value = ""; ask(q); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
  });

  function mount() {
    document.body.appendChild(host);
    if (state.open) setOpen(true);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
