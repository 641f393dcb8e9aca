/*
 * monobot chat widget: <script src="https://BOT-HOST/widget.js" data-title="..." defer></script>
 *
 * Plain JavaScript, no framework. Everything lives in a shadow root so the host page's CSS cannot
 * break it and its CSS cannot leak. All answer and corpus text is inserted with textContent, never with
 * HTML parsing. No inline script or style is needed, so it runs under a strict Content-Security-Policy.
 *
 * The conversation log is an ARIA live region: it is built whole only once, from sessionStorage, before
 * the widget joins the page; afterwards only new message nodes are added (or, on Retry, the failed
 * exchange removed), so a screen reader announces each new message instead of re-reading the conversation.
 *
 * Reading position: a new answer is scrolled to its *start* (the reader reads it from the top, not from
 * the bottom of its expanded sources); "Jump to latest" appears whenever the latest message is out of view.
 * On a phone the panel is full screen and modal (aria-modal, focus kept inside); on a desktop it is a
 * non-modal dialog beside the page, and the launcher hides while it is open.
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
  var FULL_SCREEN = "(max-width: 480px)";
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
  var STUDY_TYPES = {
    systematic_review: "Systematic review",
    rct: "Randomised trial",
    observational: "Observational study",
    case_report: "Case report",
    animal_in_vitro: "Animal/lab study",
    regulatory: "Regulatory document"
  };
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

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

  // "2025-03" or "2025-03-14" -> "Monograph reviewed March 2025"; anything else is not shown.
  function reviewedLabel(date) {
    var m = /^(\d{4})(?:-(\d{2}))?/.exec(String(date || ""));
    if (!m) return null;
    var month = m[2] ? MONTHS[parseInt(m[2], 10) - 1] : null;
    return "Monograph reviewed " + (month ? month + " " : "") + m[1];
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
  function history(upTo) {
    var messages = typeof upTo === "number" ? state.messages.slice(0, upTo) : state.messages;
    return messages.filter(function (m) { return m.role === "user" && !m.failed || (m.role === "assistant" && m.answer); })
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
  var log = el("div", { className: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": "Conversation", tabindex: "0" });
  var jump = el("button", { className: "jump", type: "button", hidden: "", text: "↓ Jump to latest" });
  var starters = el("div", { className: "starters", "aria-label": "Suggested questions" });
  var input = el("textarea", { className: "input", rows: "2", maxlength: "2000", "aria-label": "Your question", placeholder: "Ask about safety, evidence or trials…" });
  var send = el("button", { className: "send", type: "submit", text: "Send" });
  var form = el("form", { className: "composer" }, [input, send]);
  var hint = el("p", { className: "hint", id: "mb-hint", role: "status" });
  input.setAttribute("aria-describedby", "mb-hint");
  var disclaimer = el("p", { className: "disclaimer", text: "Evidence summaries from our monographs, not medical advice. Talk to a doctor before taking anything." });
  var body = el("div", { className: "body" }, [log, jump]);
  var panel = el("section", { className: "panel", id: "mb-panel", role: "dialog", "aria-label": title, hidden: "" }, [
    el("header", {}, [el("h2", { text: title }), resetBtn, closeBtn]),
    disclaimer, body, starters, form, hint
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

  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "18");
    svg.setAttribute("height", "18");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    var shapes = {
      thumb: "M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3a1.5 1.5 0 0 0-.4-1.1L13.2 1 6.6 7.6A2 2 0 0 0 6 9v10a2 2 0 0 0 2 2h9a2 2 0 0 0 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z",
      copy: "M16 1H4a2 2 0 0 0-2 2v14h2V3h12V1zm3 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm0 16H8V7h11v14z"
    };
    path.setAttribute("d", shapes[name === "copy" ? "copy" : "thumb"]);
    path.setAttribute("fill", "currentColor");
    if (name === "down") svg.setAttribute("transform", "rotate(180)");
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
      var meta = el("p", { className: "source-meta" });
      if (STUDY_TYPES[c.study_type]) meta.appendChild(el("span", { className: "study", "data-study": c.study_type, text: STUDY_TYPES[c.study_type] }));
      var reviewed = reviewedLabel(c.reviewed);
      if (reviewed) meta.appendChild(el("span", { className: "reviewed", text: reviewed }));
      var item = el("li", { value: String(c.n) }, [
        href ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer", className: "source-link", text: label })
             : el("span", { className: "source-link", text: label }),
        meta.childNodes.length ? meta : null,
        renderExcerpt(c.excerpt)
      ]);
      if (c.sources && c.sources.length) {
        var refs = el("ul", { className: "refs" });
        c.sources.forEach(function (s) {
          var li = el("li", { text: "[" + s.n + "] " + String(s.citation || "").replace(/\.?\s*PMID:?\s*\d+\.?$/, "") + " " });
          if (STUDY_TYPES[s.study_type]) li.appendChild(el("span", { className: "study small", "data-study": s.study_type, text: STUDY_TYPES[s.study_type] }));
          if (s.pmid) li.appendChild(el("a", { href: "https://pubmed.ncbi.nlm.nih.gov/" + encodeURIComponent(s.pmid) + "/", target: "_blank", rel: "noopener noreferrer", text: "PubMed " + s.pmid }));
          else if (safeHref(s.url)) li.appendChild(el("a", { href: safeHref(s.url), target: "_blank", rel: "noopener noreferrer", text: "Source" }));
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

  // The answer with its sources as plain text, for the clipboard.
  function plainText(answer) {
    var out = [String(answer.answer || "")];
    if (answer.notice) out.push("", answer.notice);
    (answer.citations || []).forEach(function (c) {
      out.push("", "[" + c.n + "] " + c.title + " — " + c.section + (safeHref(c.url) ? " " + safeHref(c.url) : ""));
    });
    return out.join("\n");
  }

  function copyButton(answer) {
    var btn = el("button", { type: "button", className: "copy", "aria-label": "Copy answer and sources", title: "Copy answer and sources" }, [icon("copy"), el("span", { className: "copy-label", text: "Copy" })]);
    var label = btn.querySelector(".copy-label");
    btn.addEventListener("click", function () {
      var done = function (ok) {
        label.textContent = ok ? "Copied" : "Couldn't copy";
        setTimeout(function () { label.textContent = "Copy"; }, 2000);
      };
      try {
        navigator.clipboard.writeText(plainText(answer)).then(function () { done(true); }, function () { done(false); });
      } catch (e) { done(false); }
    });
    return btn;
  }

  function postFeedback(message, rating, comment) {
    var payload = { answer_id: message.answer.id, rating: rating };
    if (comment) payload.comment = comment;
    return fetch(api + "/api/feedback", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) })
      .then(function (r) { if (!r.ok) throw new Error("feedback " + r.status); });
  }

  // Thumbs-down opens an optional comment box; the comment is sent with the same rating (the server keeps
  // one rating per reader and answer, so it replaces the first).
  function commentBox(message, note) {
    var field = el("textarea", { className: "comment-input", rows: "2", maxlength: "2000", "aria-label": "What was wrong with this answer? (optional)", placeholder: "What was wrong or missing? (optional)" });
    var submit = el("button", { type: "submit", className: "comment-send", text: "Send comment" });
    var box = el("form", { className: "comment" }, [field, submit]);
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = field.value.trim();
      if (!text) { field.focus(); return; }
      submit.disabled = true;
      note.className = "thanks";
      note.textContent = "Sending…";
      postFeedback(message, "down", text).then(function () {
        message.comment = text;
        save();
        box.remove();
        note.textContent = "Thanks, your comment was sent";
      }).catch(function () {
        submit.disabled = false;
        note.className = "thanks failed";
        note.textContent = "Your comment couldn't be sent. Please try again.";
      });
    });
    return box;
  }

  function feedbackRow(message) {
    var row = el("div", { className: "feedback", role: "group", "aria-label": "Was this helpful?" });
    var up = el("button", { type: "button", className: "thumb up", "aria-label": "Helpful", title: "Helpful", "aria-pressed": String(message.rating === "up") }, [icon("up")]);
    var down = el("button", { type: "button", className: "thumb down", "aria-label": "Not helpful", title: "Not helpful", "aria-pressed": String(message.rating === "down") }, [icon("down")]);
    var note = el("span", { className: "thanks", role: "status", text: message.comment ? "Thanks, your comment was sent" : message.rating ? "Thanks for the feedback" : "" });
    var saving = false;
    var comment = null;
    // The rating is kept (and thanked for) only once the server has it: a stored rating that never
    // reached the server would tell the reader it counted when it did not.
    function rate(rating) {
      if (saving) return;
      saving = true;
      row.setAttribute("aria-busy", "true");
      note.className = "thanks";
      note.textContent = "Saving…";
      postFeedback(message, rating)
        .then(function () {
          message.rating = rating;
          save();
          up.setAttribute("aria-pressed", String(rating === "up"));
          down.setAttribute("aria-pressed", String(rating === "down"));
          note.textContent = "Thanks for the feedback";
          if (rating === "down" && !comment) {
            comment = commentBox(message, note);
            row.parentNode.insertBefore(comment, row.nextSibling);
            comment.querySelector("textarea").focus({ preventScroll: true });
            comment.scrollIntoView({ block: "nearest" });
          } else if (rating === "up" && comment) {
            comment.remove();
            comment = null;
          }
        })
        .catch(function () {
          note.className = "thanks failed";
          note.textContent = "Feedback couldn't be saved. Please try again.";
        })
        .then(function () { saving = false; row.removeAttribute("aria-busy"); });
    }
    up.addEventListener("click", function () { rate("up"); });
    down.addEventListener("click", function () { rate("down"); });
    row.appendChild(up); row.appendChild(down); row.appendChild(copyButton(message.answer)); row.appendChild(note);
    return row;
  }

  function renderSuggestions(answer) {
    var list = (answer.suggestions || []).filter(function (q) { return typeof q === "string" && q.trim(); }).slice(0, 3);
    if (!list.length) return null;
    var box = el("div", { className: "suggestions", role: "group", "aria-label": "Follow-up questions" }, [el("p", { className: "suggestions-title", text: "You could also ask" })]);
    list.forEach(function (q) {
      var b = el("button", { type: "button", className: "suggestion", text: q });
      b.addEventListener("click", function () { if (!busy) ask(q); });
      box.appendChild(b);
    });
    return box;
  }

  function renderError(message, index) {
    var box = el("div", { className: "msg bot error", role: "alert" }, [el("p", { className: "error-text", text: message.error })]);
    if (message.code === "message_too_long") {
      var edit = el("button", { type: "button", className: "retry", text: "Edit question" });
      edit.addEventListener("click", function () { editFailed(message); });
      box.appendChild(edit);
      return box;
    }
    var retry = el("button", { type: "button", className: "retry", text: "Retry" });
    if (message.retryAt && message.retryAt > Date.now()) {
      retry.disabled = true;
      var tick = function () {
        var left = Math.ceil((message.retryAt - Date.now()) / 1000);
        if (left <= 0) { retry.disabled = false; retry.textContent = "Retry"; return; }
        retry.textContent = "Retry in " + left + " s";
        setTimeout(tick, 250);
      };
      tick();
    }
    retry.addEventListener("click", function () { retryFailed(box, message); });
    box.appendChild(retry);
    return box;
  }

  function renderMessage(message, latest, index) {
    if (message.role === "user") return el("div", { className: "msg user" + (message.failed ? " failed" : "") }, [el("p", { text: message.text })]);
    if (message.error) return renderError(message, index);
    var answer = message.answer;
    var box = el("div", { className: "msg bot status-" + answer.status, "data-status": answer.status });
    var badges = el("p", { className: "badges" });
    if (LABELS[answer.status]) badges.appendChild(el("span", { className: "badge", text: LABELS[answer.status] }));
    if (answer.status === "answered" && answer.evidence && answer.evidence.level === "weak") {
      badges.appendChild(el("span", { className: "badge weak", title: "The monographs only partly support this answer", text: "Weak evidence" }));
    }
    if (badges.childNodes.length) box.appendChild(badges);
    var text = el("p", { className: "answer" });
    renderAnswerText(text, answer);
    box.appendChild(text);
    if (answer.notice) box.appendChild(el("p", { className: "notice", text: answer.notice }));
    if (answer.stale_notice) box.appendChild(el("p", { className: "notice stale", text: answer.stale_notice }));
    var sources = renderSources(answer, latest);
    if (sources) box.appendChild(sources);
    box.appendChild(feedbackRow(message));
    var suggestions = renderSuggestions(answer);
    if (suggestions) box.appendChild(suggestions);
    return box;
  }

  // ---- reading position
  function latestNode() { return log.lastElementChild; }
  function scrollToNode(node) {
    if (!node) return;
    log.scrollTop = Math.max(0, node.offsetTop - 8); // .log is position: relative, so offsetTop is within it
    updateJump();
  }
  // "Jump to latest" shows when no part of the latest message is in view (the reader scrolled back to an
  // earlier one); while any of it is visible the reader is already there.
  function updateJump() {
    var node = latestNode();
    if (!node) { jump.hidden = true; return; }
    var top = node.offsetTop - log.scrollTop;
    jump.hidden = top + node.offsetHeight > 24 && top < log.clientHeight - 24;
  }
  log.addEventListener("scroll", updateJump);
  jump.addEventListener("click", function () { scrollToNode(latestNode()); input.focus(); });

  // The whole log, built only from sessionStorage at start-up and emptied by "New chat". Everything
  // else appends or replaces single message nodes: rebuilding the live region makes a screen reader
  // announce the whole conversation again.
  function renderAll() {
    while (log.firstChild) log.removeChild(log.firstChild);
    openSources = null;
    state.messages.forEach(function (m, i) { log.appendChild(renderMessage(m, i === state.messages.length - 1, i)); });
    starters.hidden = state.messages.length > 0;
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

  // What went wrong, in words a reader can act on; the server's own message when it has one.
  function describeError(status, error, retryAfter) {
    var code = (error && error.code) || "";
    var detail = (error && error.message) || "";
    if (code === "message_too_long" || status === 413) {
      return { code: "message_too_long", error: "Your question is too long to answer" + (detail ? " (" + detail.replace(/^message:\s*/, "") + ")" : "") + ". Please shorten it and send it again." };
    }
    if (code === "rate_limited" || status === 429) {
      var wait = retryAfter || parseInt((/(\d+)\s*s\b/.exec(detail) || [])[1], 10) || 0;
      return { code: "rate_limited", retryAt: Date.now() + wait * 1000, error: "You've asked several questions in a short time." + (wait ? " Please wait " + wait + (wait === 1 ? " second" : " seconds") + ", then retry." : " Please wait a moment, then retry.") };
    }
    if (code === "unavailable" || status === 503) {
      return { code: "unavailable", retryAt: Date.now() + (retryAfter || 0) * 1000, error: detail || "The monographs can't be searched right now. Please try again shortly." };
    }
    return { code: code || "error", error: detail || (status ? "The service answered " + status + ". Please try again." : "Something went wrong. Please try again.") };
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
    starters.hidden = true;
    var askedNode = renderMessage(asked, false);
    log.appendChild(askedNode);
    var pending = el("div", { className: "msg bot pending", "aria-busy": "true" }, [el("p", { className: "answer", text: "Looking in the monographs…" })]);
    log.appendChild(pending);
    scrollToNode(askedNode);
    var streamed = pending.querySelector(".answer");
    var started = false;
    var finished = false;
    function finish(message) {
      if (finished) return; // e.g. a rendering error after "done" must not add a second reply
      finished = true;
      setBusy(false);
      if (mine !== conversation) return; // "New chat" was pressed meanwhile
      if (message.error) { asked.failed = true; askedNode.classList.add("failed"); }
      state.messages.push(message);
      save();
      var node = renderMessage(message, true, state.messages.length - 1);
      log.replaceChild(node, pending); // the only node that changes
      scrollToNode(message.error ? askedNode : node); // the reader starts at the top of the new answer
      if (message.error && message.code !== "message_too_long") node.querySelector(".retry").focus();
      else if (message.error) editFailed(message);
      else input.focus();
    }
    fetch(api + "/api/chat/stream", { method: "POST", headers: { "Content-Type": "application/json", "Accept": "text/event-stream" }, body: JSON.stringify({ message: question, history: past }) })
      .then(function (response) {
        if (!response.ok) {
          var retryAfter = parseInt(response.headers.get("Retry-After") || "", 10) || 0;
          return response.json().catch(function () { return {}; }).then(function (body) {
            finish(Object.assign({ role: "assistant" }, describeError(response.status, body && body.error, retryAfter)));
          });
        }
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        var done = false;
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) { if (!done) finish({ role: "assistant", code: "cut_off", error: "The answer was cut off. Please retry." }); return; }
            buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), function (name, data) {
              if (name === "delta") {
                if (!started) { streamed.textContent = ""; started = true; }
                streamed.textContent += data.text;
              } else if (name === "done") {
                done = true;
                finish({ role: "assistant", answer: data });
              } else if (name === "error") {
                done = true;
                finish(Object.assign({ role: "assistant" }, describeError(0, data, 0)));
              }
            });
            if (!done) return pump();
          });
        }
        return pump();
      })
      .catch(function () { finish({ role: "assistant", code: "network", error: "Couldn't reach the service. Check your connection, then retry." }); });
    return true;
  }

  // The question a failed answer was for (the user message just before it).
  function failedQuestion(message) {
    var i = state.messages.indexOf(message);
    return i > 0 && state.messages[i - 1].role === "user" ? state.messages[i - 1] : null;
  }
  // Retry: the failed exchange (question and error) leaves the log and the stored conversation, and the
  // same question is asked again, so the conversation reads as if the failure never happened.
  function retryFailed(errorNode, message) {
    if (busy) { hint.textContent = "Still answering the last question; retry when it is done."; return; }
    var asked = failedQuestion(message);
    var i = state.messages.indexOf(message);
    if (i >= 0) state.messages.splice(asked ? i - 1 : i, asked ? 2 : 1);
    save();
    var questionNode = errorNode.previousElementSibling;
    if (asked && questionNode && questionNode.classList.contains("user")) questionNode.remove();
    errorNode.remove();
    if (asked) ask(asked.text);
  }
  // A question too long to send goes back into the box to be shortened (unless the reader is typing).
  function editFailed(message) {
    var asked = failedQuestion(message);
    if (asked && !input.value.trim()) input.value = asked.text;
    input.focus();
  }

  // ---- open, close, keyboard
  var fullScreen = window.matchMedia ? window.matchMedia(FULL_SCREEN) : { matches: false, addEventListener: function () {} };
  function syncModal() {
    if (!panel.hidden && fullScreen.matches) panel.setAttribute("aria-modal", "true");
    else panel.removeAttribute("aria-modal");
  }
  if (fullScreen.addEventListener) fullScreen.addEventListener("change", syncModal);
  function setOpen(open) {
    state.open = open;
    save();
    panel.hidden = !open;
    launcher.hidden = open; // the launcher would sit under (or beside) the open panel
    launcher.setAttribute("aria-expanded", String(open));
    syncModal();
    if (open) {
      starters.hidden = state.messages.length > 0;
      scrollToNode(latestMessageStart());
      input.focus();
    } else {
      launcher.focus();
    }
  }
  // On opening, the reader is put at the start of the latest answer (or the latest question).
  function latestMessageStart() {
    var nodes = log.querySelectorAll(".msg");
    var last = nodes[nodes.length - 1];
    return last || null;
  }
  // The focusable controls inside the panel, in order, for the full-screen focus trap.
  function focusables() {
    return [].slice.call(panel.querySelectorAll("button, [href], textarea, input, select, summary, [tabindex]:not([tabindex='-1'])"))
      .filter(function (n) { return !n.disabled && !n.hidden && n.getClientRects().length; });
  }
  launcher.addEventListener("click", function () { setOpen(!state.open); });
  closeBtn.addEventListener("click", function () { setOpen(false); });
  resetBtn.addEventListener("click", function () { conversation += 1; state.messages = []; save(); renderAll(); updateJump(); input.focus(); });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { setOpen(false); return; }
    if (event.key !== "Tab" || panel.getAttribute("aria-modal") !== "true") return;
    var items = focusables();
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1];
    var active = root.activeElement;
    if (event.shiftKey && (active === first || !panel.contains(active))) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && (active === last || !panel.contains(active))) { event.preventDefault(); first.focus(); }
  });
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
