/* inloop reviewer console: keyboard, decision panel, edit diff, countdowns, lease heartbeat, CSRF for htmx.
   No inline handlers anywhere: everything is wired here by event delegation (the CSP forbids inline script). */
(function () {
  "use strict";

  var heartbeatTimer = null;
  var clockOffset = 0; // server time minus browser time, from the page

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function main() { return document.getElementById("main"); }
  function form() { return document.getElementById("decide"); }
  function q(root, sel) { return root ? root.querySelector(sel) : null; }
  function busy() { return !!document.querySelector(".htmx-request"); }

  // --- CSRF on every htmx request ----------------------------------------------------------------------
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = csrf();
  });

  // --- decision panel ------------------------------------------------------------------------------------
  function setMode(mode) {
    var f = form();
    if (!f) return;
    var audit = main().dataset.kind === "audit";
    f.dataset.mode = mode;
    f.querySelector('input[name="mode"]').value = mode;
    var submit = q(f, '[data-testid="submit"]');
    submit.hidden = false;
    submit.value = mode;
    submit.textContent = mode === "edit" ? (audit ? "Send correction" : "Send edit")
      : (audit ? "Mark escaped error" : "Reject");
    var editor = q(f, "[data-editor]");
    var area = q(f, '[data-testid="edited-output"]');
    if (editor) editor.hidden = mode !== "edit";
    if (area) area.disabled = mode !== "edit";
    f.querySelectorAll("[data-mode-button]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.modeButton === mode));
    });
    clientError("");
    var category = q(f, '[data-testid="category"]');
    if (category.options.length) category.options[0].textContent = "choose a category";
    if (mode === "edit" && area) {
      showDiff();
      area.focus();
    } else {
      q(f, '[data-testid="category"]').focus();
    }
  }

  function clientError(text) {
    var el = q(form(), '[data-testid="client-error"]');
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
  }

  // Refuse, before anything is sent, a reject or edit without a category and an edit that changes nothing.
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (!f || f.id !== "decide") return;
    var verdict = e.submitter ? e.submitter.value : f.dataset.mode;
    if (verdict !== "reject" && verdict !== "edit") return;
    var problem = "";
    if (!q(f, '[data-testid="category"]').value) {
      problem = "Choose a category: a " + verdict + " needs one.";
    } else if (verdict === "edit") {
      var area = q(f, '[data-testid="edited-output"]');
      if (area && area.value === area.dataset.original) problem = "The edit changes nothing: change the text, or approve.";
    }
    if (problem) {
      e.preventDefault();
      e.stopImmediatePropagation();
      clientError(problem);
      q(f, '[data-testid="category"]').focus();
    }
  }, true);

  document.addEventListener("click", function (e) {
    var modeButton = e.target.closest("[data-mode-button]");
    if (modeButton) { setMode(modeButton.dataset.modeButton); return; }
    if (e.target.closest("[data-help]")) { toggleHelp(); return; }
    var goto = e.target.closest("[data-goto-flag]");
    if (goto) {
      e.preventDefault();
      var mark = document.querySelector('mark[data-n="' + goto.dataset.gotoFlag + '"]');
      if (mark) { mark.scrollIntoView({ block: "center" }); flash(mark); }
      return;
    }
    var flag = e.target.closest("mark.flag");
    if (flag) {
      var name = flag.dataset.check.split(" ")[0];
      var li = document.querySelector('li.check[data-check="' + CSS.escape(name) + '"]');
      if (li) { li.scrollIntoView({ block: "nearest" }); flash(li); }
    }
  });

  function flash(el) {
    el.classList.remove("flash");
    void el.offsetWidth;
    el.classList.add("flash");
  }

  // Hovering a check lights up its highlights, and the reverse.
  function hover(e, on) {
    var li = e.target.closest && e.target.closest("li.check");
    var mark = e.target.closest && e.target.closest("mark.flag");
    if (li) {
      document.querySelectorAll("mark.flag").forEach(function (m) {
        if (m.dataset.check.split(" ").indexOf(li.dataset.check) >= 0) m.classList.toggle("hl", on);
      });
    } else if (mark) {
      mark.dataset.check.split(" ").forEach(function (name) {
        var item = document.querySelector('li.check[data-check="' + CSS.escape(name) + '"]');
        if (item) item.classList.toggle("hl", on);
      });
    }
  }
  document.addEventListener("mouseover", function (e) { hover(e, true); });
  document.addEventListener("mouseout", function (e) { hover(e, false); });

  // --- the diff of an edit (words; common head and tail trimmed, then a longest common subsequence) ------
  function tokens(text) { return text.match(/\s+|[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) || []; }

  function diffTokens(a, b) {
    var start = 0;
    while (start < a.length && start < b.length && a[start] === b[start]) start++;
    var endA = a.length, endB = b.length;
    while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
    var out = [];
    if (start) out.push(["=", a.slice(0, start).join("")]);
    var x = a.slice(start, endA), y = b.slice(start, endB);
    if (x.length * y.length > 4000000) {
      out.push(["-", x.join("")], ["+", y.join("")]);
    } else {
      var n = x.length, m = y.length, i, j;
      var table = [];
      for (i = 0; i <= n; i++) table.push(new Uint32Array(m + 1));
      for (i = n - 1; i >= 0; i--) {
        for (j = m - 1; j >= 0; j--) {
          table[i][j] = x[i] === y[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
        }
      }
      i = 0; j = 0;
      while (i < n || j < m) {
        if (i < n && j < m && x[i] === y[j]) { out.push(["=", x[i]]); i++; j++; }
        else if (j < m && (i === n || table[i][j + 1] >= table[i + 1][j])) { out.push(["+", y[j]]); j++; }
        else { out.push(["-", x[i]]); i++; }
      }
    }
    if (endA < a.length) out.push(["=", a.slice(endA).join("")]);
    var merged = [];
    out.forEach(function (p) {
      if (!p[1]) return;
      var last = merged[merged.length - 1];
      if (last && last[0] === p[0]) last[1] += p[1]; else merged.push([p[0], p[1]]);
    });
    return merged;
  }

  function showDiff() {
    var f = form();
    var area = q(f, '[data-testid="edited-output"]');
    var box = q(f, '[data-testid="diff"]');
    if (!area || !box) return;
    var parts = diffTokens(tokens(area.dataset.original || ""), tokens(area.value));
    box.textContent = "";
    var changed = false;
    parts.forEach(function (p) {
      var node;
      if (p[0] === "=") node = document.createTextNode(p[1]);
      else { node = document.createElement(p[0] === "+" ? "ins" : "del"); node.textContent = p[1]; changed = true; }
      box.appendChild(node);
    });
    box.classList.toggle("unchanged", !changed);
  }
  var diffTimer = null;
  document.addEventListener("input", function (e) {
    if (e.target.matches && e.target.matches('[data-testid="edited-output"]')) {
      clearTimeout(diffTimer);
      diffTimer = setTimeout(showDiff, 40);
    }
  });

  // --- keyboard --------------------------------------------------------------------------------------------
  function toggleHelp(force) {
    var help = document.getElementById("help");
    if (!help) return;
    help.hidden = force === undefined ? !help.hidden : !force;
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    var t = e.target;
    if (t && t.closest && t.closest("input, textarea, select, [contenteditable]")) {
      if (e.key === "Escape") t.blur();
      return;
    }
    if (e.key === "Escape") { toggleHelp(false); return; }
    if (e.key === "?") { e.preventDefault(); toggleHelp(); return; }
    var f = form();
    if (!f || busy()) return;
    var button = null;
    if (e.key === "a") button = q(f, '[data-testid="approve"]');
    else if (e.key === "r") button = q(f, '[data-testid="reject"]');
    else if (e.key === "e") button = q(f, '[data-testid="edit"]');
    else if (e.key === "s") button = q(f, '[data-testid="skip"]');
    if (button && !button.disabled) {
      e.preventDefault();
      button.click();
    }
  });

  // --- countdowns and the lease heartbeat ------------------------------------------------------------------
  function left(ms) {
    if (ms <= 0) return "expired";
    var s = Math.floor(ms / 1000);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + m + "m";
    return m + ":" + String(s % 60).padStart(2, "0");
  }
  function tick() {
    var now = Date.now() + clockOffset;
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var ms = Number(el.dataset.countdown) - now;
      el.textContent = left(ms);
      el.classList.toggle("late", ms < 60000);
    });
  }
  setInterval(tick, 1000);

  function beat() {
    var m = main(), f = form();
    if (!m || !f || !m.dataset.heartbeatUrl) return;
    var body = new FormData();
    body.append("lease_token", f.querySelector('input[name="lease_token"]').value);
    fetch(m.dataset.heartbeatUrl, { method: "POST", body: body, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (data) {
        var lease = q(main(), '[data-testid="lease"]');
        if (lease && data.lease_expires_ms) { lease.dataset.countdown = data.lease_expires_ms; tick(); }
      })
      .catch(function () {
        var m2 = main();
        if (m2 && !q(m2, ".lease-lost")) {
          var p = document.createElement("p");
          p.className = "errors lease-lost";
          p.setAttribute("role", "alert");
          p.textContent = "Your lease on this task was lost (expired or taken over). Reload to get the next task.";
          m2.insertBefore(p, m2.firstChild);
        }
      });
  }

  function shown() {
    var m = main();
    if (!m) return;
    if (m.dataset.serverNow) clockOffset = Number(m.dataset.serverNow) - Date.now();
    clearInterval(heartbeatTimer);
    heartbeatTimer = null;
    if (m.dataset.heartbeatUrl) heartbeatTimer = setInterval(beat, Number(m.dataset.heartbeatMs) || 60000);
    var f = form();
    if (f && f.dataset.mode) setMode(f.dataset.mode);
    tick();
    document.dispatchEvent(new CustomEvent("inloop:shown", { detail: { task: m.dataset.taskId || null } }));
  }

  document.addEventListener("htmx:afterSwap", shown);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", shown);
  else shown();
})();
