/*
 * monobot chat widget: <script src="https://BOT-HOST/widget.js" data-title="..." defer></script>
 *
 * Plain JavaScript, no framework. Everything lives in a shadow root so the host page's CSS cannot
 * break it and its CSS cannot leak. All answer and corpus text is inserted with textContent, never with
 * HTML parsing. No inline script or style is needed, so it runs under a strict Content-Security-Policy.
 *
 * The conversation log is an ARIA live region: it is built whole only once, from sessionStorage, before
 * the widget joins the page; afterwards only new message nodes are added, so a screen reader announces
 * each new message instead of re-reading the conversation.
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

  // Only http(s) URLs become links: a javascript: or data: URL in corpus metadata must never be clickable.
  function safeHref(url) {
    try {
      var parsed = new URL(String(url));
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) {
      return null; // relative or malformed: shown as text
    }
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
  var hint = el("p", { className: "hint", id: "mb-hint", role: "status" });
  input.setAttribute("aria-describedby", "mb-hint");
  var disclaimer = el("p", { className: "disclaimer", text: "Evidence summaries from our monographs, not medical advice. Talk to a doctor before taking anything." });
  var panel = el("section", { className: "panel", id: "mb-panel", role: "dialog", "aria-label": title, hidden: "" }, [
    el("header", {}, [el("h2", { text: title }), resetBtn, closeBtn]),
    disclaimer, log, starters, form, hint
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
        var href = safeHref(c.url);
        if (href) container.appendChild(el("a", { className: "cite", href: href, target: "_blank", rel: "noopener noreferrer", "aria-label": "Source " + c.n + ": " + c.title + ", " + c.section, text: "[" + c.n + "]" }));
        else container.appendChild(el("span", { className: "cite", text: "[" + c.n + "]" }));
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

  var openSources = null; // the latest answer's sources box, which starts open

  function renderSources(answer, open) {
    if (!answer.citations || !answer.citations.length) return null;
    var list = el("ol", { className: "sources", "aria-label": "Sources" });
    answer.citations.forEach(function (c) {
      var label = c.title + " — " + c.section;
      var href = safeHref(c.url);
      var item = el("li", { value: String(c.n) }, [
        href ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer", className: "source-link", text: label })
             : el("span", { className: "source-link", text: label }),
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
    if (open) {
      if (openSources) openSources.open = false; // only the latest answer's sources start open
      box.open = true;
      openSources = box;
    }
    return box;
  }

  function feedbackRow(message) {
    var row = el("div", { className: "feedback", role: "group", "aria-label": "Was this helpful?" });
    var up = el("button", { type: "button", className: "thumb up", "aria-label": "Helpful", title: "Helpful", "aria-pressed": String(message.rating === "up") }, [thumbIcon(false)]);
    var down = el("button", { type: "button", className: "thumb down", "aria-label": "Not helpful", title: "Not helpful", "aria-pressed": String(message.rating === "down") }, [thumbIcon(true)]);
    var note = el("span", { className: "thanks", text: message.rating ? "Thanks for the feedback" : "" });
    var saving = false;
    // The rating is kept (and thanked for) only once the server has it: a stored rating that never
    // reached the server would tell the reader it counted when it did not.
    function rate(rating) {
      if (saving) return;
      saving = true;
      row.setAttribute("aria-busy", "true");
      note.className = "thanks";
      note.textContent = "Saving…";
      fetch(api + "/api/feedback", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ answer_id: message.answer.id, rating: rating }) })
        .then(function (r) {
          if (!r.ok) throw new Error("feedback " + r.status);
          message.rating = rating;
          save();
          up.setAttribute("aria-pressed", String(rating === "up"));
          down.setAttribute("aria-pressed", String(rating === "down"));
          note.textContent = "Thanks for the feedback";
        })
        .catch(function () {
          note.className = "thanks failed";
          note.textContent = "Feedback couldn't be saved. Please try again.";
        })
        .then(function () { saving = false; row.removeAttribute("aria-busy"); });
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

  // The whole log, built only from sessionStorage at start-up and emptied by "New chat". Everything
  // else appends or replaces single message nodes: rebuilding the live region makes a screen reader
  // announce the whole conversation again.
  function renderAll() {
    while (log.firstChild) log.removeChild(log.firstChild);
    openSources = null;
    state.messages.forEach(function (m, i) { log.appendChild(renderMessage(m, i === state.messages.length - 1)); });
    refresh();
  }
  function refresh() {
    starters.hidden = state.messages.length > 0;
    log.scrollTop = log.scrollHeight;
  }

  // ---- the conversation
  var busy = false;
  var conversation = 0; // bumped by "New chat", so a late answer to a cleared conversation is dropped
  // While an answer streams, sending is off (the typed text stays in the box) and the log is aria-busy,
  // so assistive tech announces the finished answer once rather than every streamed piece.
  function setBusy(on) {
    busy = on;
    send.disabled = on;
    form.setAttribute("aria-busy", String(on));
    log.setAttribute("aria-busy", String(on));
    hint.textContent = on ? "Answering… You can type your next question and send it when this answer is done." : "";
  }
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
    if (!question || busy) return false;
    setBusy(true);
    var mine = conversation;
    var past = history();
    var asked = { role: "user", text: question };
    state.messages.push(asked);
    save();
    log.appendChild(renderMessage(asked, false));
    var pending = el("div", { className: "msg bot pending", "aria-busy": "true" }, [el("p", { className: "answer", text: "Looking in the monographs…" })]);
    log.appendChild(pending);
    refresh();
    var streamed = pending.querySelector(".answer");
    var started = false;
    var finished = false;
    function finish(message) {
      if (finished) return; // e.g. a rendering error after "done" must not add a second reply
      finished = true;
      setBusy(false);
      if (mine !== conversation) return; // "New chat" was pressed meanwhile
      state.messages.push(message);
      save();
      log.replaceChild(renderMessage(message, true), pending); // the only node that changes
      refresh();
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
    return true;
  }

  // ---- open, close, keyboard
  function setOpen(open) {
    state.open = open;
    save();
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) { refresh(); input.focus(); } else { launcher.focus(); }
  }
  launcher.addEventListener("click", function () { setOpen(!state.open); });
  closeBtn.addEventListener("click", function () { setOpen(false); });
  resetBtn.addEventListener("click", function () { conversation += 1; state.messages = []; save(); renderAll(); input.focus(); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") setOpen(false); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { // never drop what the reader typed: it stays in the box until this answer is done
      hint.textContent = "Still answering the last question. Your new question is kept; press Enter again when the answer is done.";
      return;
    }
    if (ask(input.value)) input.value = "";
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
  });

  function mount() {
    renderAll(); // the saved conversation, built before the widget is in the page: not announced as new
    document.body.appendChild(host);
    if (state.open) setOpen(true);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
