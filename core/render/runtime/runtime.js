/* Frontbase Edge browser runtime: tabs, accordion, modal, dropdown, toggle,
   DataTable rows (through /api/data/execute), actions (scroll, navigate,
   setVariable, runWorkflow) and client-decided visibility. No dependencies. The page works without it: content is in
   the HTML and links are real links. */
(function () {
  "use strict";
  var d = document;
  function $$(sel, root) { return Array.prototype.slice.call((root || d).querySelectorAll(sel)); }

  // Only same-site paths, fragments and http(s) URLs are followed.
  function safeUrl(u) {
    if (typeof u !== "string" || !u) return null;
    u = u.trim();
    if (/^[\u0000-\u0020]|[\u0000-\u001f]/.test(u)) return null;
    var m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(u);
    if (m && !/^(https?|mailto|tel)$/i.test(m[1])) return null;
    if (/^\/\\|^\\/.test(u)) return null;
    return u;
  }

  // ---- variables -------------------------------------------------------
  function cookies() {
    var out = {};
    d.cookie.split(";").forEach(function (p) {
      var i = p.indexOf("=");
      if (i > 0) { try { out[p.slice(0, i).trim()] = decodeURIComponent(p.slice(i + 1).trim()); } catch (e) {} }
    });
    return out;
  }
  function store(scope) {
    try { return scope === "session" ? sessionStorage : localStorage; } catch (e) { return null; }
  }
  function getVar(scope, name) {
    if (scope === "url") return new URLSearchParams(location.search).get(name);
    if (scope === "cookies" || scope === "cookie") { var c = cookies(); return name in c ? c[name] : null; }
    var s = store(scope === "session" ? "session" : "local");
    var raw = s && s.getItem("fb:" + name);
    if (raw === null || raw === undefined) return null;
    try { return JSON.parse(raw); } catch (e) { return raw; }
  }
  function setVar(v) {
    if (!v || !/^[A-Za-z0-9_.-]{1,128}$/.test(v.name)) return;
    var val = v.value === undefined ? null : v.value;
    if (v.scope === "cookie") {
      d.cookie = encodeURIComponent(v.name) + "=" + encodeURIComponent(val === null ? "" : String(val)) +
        "; path=/; max-age=31536000; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
    } else if (v.scope === "url") {
      var q = new URLSearchParams(location.search);
      if (val === null) q.delete(v.name); else q.set(v.name, String(val));
      var qs = q.toString();
      history.replaceState(history.state, "", location.pathname + (qs ? "?" + qs : "") + location.hash);
    } else {
      var s = store(v.scope);
      if (s) { try { s.setItem("fb:" + v.name, JSON.stringify(val)); } catch (e) {} }
    }
    conditions();
  }

  // ---- conditions: a Liquid-like subset --------------------------------
  // operand: 'str' "str" number true false nil null blank empty scope.name
  function operand(t) {
    t = t.trim();
    var m;
    if ((m = /^'([^']*)'$|^"([^"]*)"$/.exec(t))) return m[1] !== undefined ? m[1] : m[2];
    if (/^-?\d+(\.\d+)?$/.test(t)) return parseFloat(t);
    if (t === "true") return true;
    if (t === "false") return false;
    if (t === "nil" || t === "null") return null;
    if (t === "blank" || t === "empty") return "";
    if ((m = /^(local|session|url|cookies)\.([A-Za-z0-9_-]+)$/.exec(t))) return getVar(m[1], m[2]);
    return null;
  }
  function truthy(v) { return v !== null && v !== undefined && v !== false; }
  function compare(a, op, b) {
    if (b === "" && (op === "==" || op === "!=")) { var e = a === null || a === "" || (Array.isArray(a) && !a.length); return op === "==" ? e : !e; }
    if (typeof a === "number" || typeof b === "number") {
      if (op !== "contains" && a !== null && b !== null && !isNaN(+a) && !isNaN(+b)) { a = +a; b = +b; }
    }
    switch (op) {
      case "==": return a == b; // eslint-disable-line eqeqeq
      case "!=": case "<>": return a != b; // eslint-disable-line eqeqeq
      case ">": return a > b;
      case "<": return a < b;
      case ">=": return a >= b;
      case "<=": return a <= b;
      case "contains": return a !== null && b !== null && (Array.isArray(a) ? a.indexOf(b) >= 0 : String(a).indexOf(String(b)) >= 0);
    }
    return false;
  }
  function clause(c) {
    var m = /^\s*(.+?)\s*(==|!=|<>|>=|<=|>|<|\scontains\s)\s*(.+?)\s*$/.exec(c);
    if (!m) return truthy(operand(c));
    return compare(operand(m[1]), m[2].trim(), operand(m[3]));
  }
  // Liquid evaluates and/or from right to left without precedence.
  function evaluate(expr) {
    var parts = expr.split(/\s+(and|or)\s+/);
    var v = clause(parts[parts.length - 1]);
    for (var i = parts.length - 2; i > 0; i -= 2) {
      var l = clause(parts[i - 1]);
      v = parts[i] === "and" ? l && v : l || v;
    }
    return v;
  }
  function conditions() {
    $$("[data-fb-if]").forEach(function (el) {
      var show = false;
      try { show = evaluate(el.getAttribute("data-fb-if")); } catch (e) {}
      if (show) el.setAttribute("data-fb-show", ""); else el.removeAttribute("data-fb-show");
    });
  }

  // ---- toasts -------------------------------------------------------------
  function toast(msg) {
    var box = d.querySelector(".fb-toasts");
    if (!box) { box = d.createElement("div"); box.className = "fb-toasts"; box.setAttribute("role", "status"); d.body.appendChild(box); }
    var t = d.createElement("div");
    t.className = "fb-toast";
    t.textContent = String(msg);
    box.appendChild(t);
    setTimeout(function () { t.remove(); }, 4000);
  }

  function navigate(url, newTab) {
    url = safeUrl(url);
    if (!url) return;
    if (newTab) window.open(url, "_blank", "noopener,noreferrer"); else location.assign(url);
  }
  function effects(list) {
    (list || []).forEach(function (e) {
      if (!e || typeof e !== "object") return;
      if (e.type === "toast" && e.message) toast(e.message);
      else if (e.type === "redirect") navigate(e.url, false);
      else if (e.type === "setVariable") setVar(e.var || { name: e.name, value: e.value, scope: e.scope });
      else if (e.type === "refresh") location.reload();
    });
  }

  // ---- actions --------------------------------------------------------------
  function busy(el, on) {
    var b = el.tagName === "FORM" ? el.querySelector("[type=submit]") : el;
    if (!b) return;
    b.classList.toggle("fb-busy", on);
    if (on) b.setAttribute("aria-busy", "true"); else b.removeAttribute("aria-busy");
    b.disabled = on;
  }
  function formData(form) {
    var out = {};
    if (form && form.tagName === "FORM") {
      // _fb_* fields are the engine's, for posts without JavaScript.
      new FormData(form).forEach(function (v, k) { if (typeof v === "string" && k.indexOf("_fb_") !== 0) out[k] = v; });
    }
    return out;
  }
  function runWorkflow(a, el, ev) {
    busy(el, true);
    return fetch("/api/public/execute/" + encodeURIComponent(a.workflow), {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({
        trigger: ev.type === "submit" ? "onSubmit" : "onClick",
        componentId: el.getAttribute("data-fb-id") || "",
        page: location.pathname,
        data: formData(el),
        url: Object.fromEntries(new URLSearchParams(location.search))
      })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok || body.success === false) throw new Error((body && body.error) || "HTTP " + r.status);
        // One toast per action: the workflow's own when it shows one,
        // else the binding's.
        var server = Array.isArray(body.effects) ? body.effects : [];
        var toasted = server.some(function (e) { return e && e.type === "toast" && e.message; });
        effects(server);
        effects((a.onSuccess || []).filter(function (e) { return !toasted || !e || e.type !== "toast"; }));
        if (el.tagName === "FORM") el.reset();
      });
    }).catch(function () {
      toast("Something went wrong. Please try again.");
    }).then(function () { busy(el, false); });
  }
  function run(list, el, ev) {
    var chain = Promise.resolve();
    list.forEach(function (a) {
      chain = chain.then(function () {
        switch (a.type) {
          case "openPage": navigate(a.url, a.newTab); break;
          case "scrollToSection": var t = d.getElementById(a.target); if (t) t.scrollIntoView({ behavior: "smooth" }); break;
          case "openModal": openModal(a.target); break;
          case "setVariable": setVar(a.var); break;
          case "runWorkflow": return runWorkflow(a, el, ev);
        }
        if (a.type !== "runWorkflow") effects(a.onSuccess);
      });
    });
    return chain;
  }
  function actionsOf(el, on) {
    var list;
    try { list = JSON.parse(el.getAttribute("data-fb-actions")); } catch (e) { return []; }
    return (Array.isArray(list) ? list : []).filter(function (a) { return (a.on || "click") === on; });
  }

  function openModal(id) {
    var m = d.getElementById(id);
    if (m && m.tagName === "DIALOG" && !m.open) m.showModal();
  }

  function selectTab(tab) {
    var list = tab.closest("[role=tablist]");
    if (!list) return;
    $$("[role=tab]", list).forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      var p = d.getElementById(t.getAttribute("aria-controls"));
      if (p) p.hidden = !on;
    });
  }

  d.addEventListener("click", function (ev) {
    var t = ev.target.closest ? ev.target : ev.target.parentElement;
    if (!t) return;
    var tab = t.closest("[data-fb-tabs] [role=tab]");
    if (tab) { ev.preventDefault(); selectTab(tab); return; }
    var opener = t.closest("[data-fb-open]");
    if (opener) { openModal(opener.getAttribute("data-fb-open")); return; }
    var tog = t.closest("[data-fb-toggle]");
    if (tog) tog.setAttribute("aria-pressed", tog.getAttribute("aria-pressed") === "true" ? "false" : "true");
    $$("details[data-fb-dropdown][open]").forEach(function (dd) { if (!dd.contains(t)) dd.open = false; });
    var el = t.closest("[data-fb-actions]");
    if (el && el.tagName !== "FORM") {
      var list = actionsOf(el, "click");
      if (list.length) { ev.preventDefault(); run(list, el, ev); }
    }
  });
  d.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (!f.hasAttribute || !f.hasAttribute("data-fb-actions")) return;
    var list = actionsOf(f, "submit");
    if (list.length) { ev.preventDefault(); run(list, f, ev); }
  });
  d.addEventListener("keydown", function (ev) {
    var tab = ev.target.closest && ev.target.closest("[data-fb-tabs] [role=tab]");
    if (tab && (ev.key === "ArrowRight" || ev.key === "ArrowLeft")) {
      var tabs = $$("[role=tab]", tab.parentNode), i = tabs.indexOf(tab);
      var next = tabs[(i + (ev.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      selectTab(next); next.focus(); ev.preventDefault();
    }
    if (ev.key === "Escape") $$("details[data-fb-dropdown][open]").forEach(function (dd) { dd.open = false; });
  });
  // One open item at a time in accordions marked single.
  d.addEventListener("toggle", function (ev) {
    var det = ev.target;
    if (det.tagName !== "DETAILS" || !det.open) return;
    var acc = det.parentElement && det.parentElement.closest("[data-fb-single]");
    if (acc) $$("details[open]", acc).forEach(function (o) { if (o !== det) o.open = false; });
  }, true);

  // ---- DataTable: rows through the engine's data proxy -----------------
  // The server renders the table's shell and its published data request
  // (the data-fb-datatable attribute); rows, search, sorting and paging go through
  // POST /api/data/execute, which runs only what a published page carries.
  function dataTable(el) {
    var cfg;
    try { cfg = JSON.parse(el.getAttribute("data-fb-datatable")); } catch (e) { return; }
    var st = { page: 0, sort: "", dir: "asc", search: "", total: 0, seq: 0 };
    var tbody = el.querySelector("tbody"), head = el.querySelector("thead tr");
    var pager = el.querySelector(".fb-dt-pager"), info = el.querySelector(".fb-dt-info");
    var input = el.querySelector(".fb-dt-search");
    var cols = (cfg.columns || []).slice();
    function text(v) {
      if (v === null || v === undefined) return "";
      return typeof v === "object" ? JSON.stringify(v) : String(v);
    }
    function status(msg) {
      tbody.textContent = "";
      var tr = d.createElement("tr"), td = d.createElement("td");
      tr.className = "fb-dt-status"; td.colSpan = Math.max(cols.length, 1); td.textContent = msg;
      tr.appendChild(td); tbody.appendChild(tr);
    }
    function headers() {
      if (!head.children.length) cols.forEach(function (c) {
        var th = d.createElement("th"); th.scope = "col"; th.setAttribute("data-col", c); th.textContent = c; head.appendChild(th);
      });
      if (!cfg.sortable) return;
      $$("th[data-col]", head).forEach(function (th) {
        var c = th.getAttribute("data-col");
        th.tabIndex = 0;
        th.setAttribute("aria-sort", st.sort === c ? (st.dir === "desc" ? "descending" : "ascending") : "none");
      });
    }
    function rows(list) {
      if (!cols.length && list.length && typeof list[0] === "object") cols = Object.keys(list[0]);
      headers();
      if (!list.length) { status(st.search ? "No rows match." : "No rows."); return; }
      tbody.textContent = "";
      list.forEach(function (r) {
        var tr = d.createElement("tr");
        cols.forEach(function (c) { var td = d.createElement("td"); td.textContent = text(r && r[c]); tr.appendChild(td); });
        tbody.appendChild(tr);
      });
    }
    function paging() {
      if (!pager) return;
      var pages = Math.max(1, Math.ceil(st.total / cfg.pageSize));
      pager.hidden = st.total <= cfg.pageSize && st.page === 0;
      info.textContent = "Page " + (st.page + 1) + " of " + pages + " (" + st.total + " rows)";
      pager.querySelector("[data-fb-page='-1']").disabled = st.page === 0;
      pager.querySelector("[data-fb-page='1']").disabled = st.page + 1 >= pages;
    }
    function load() {
      var seq = ++st.seq;
      el.setAttribute("aria-busy", "true");
      var q = { page: st.page, pageSize: cfg.pageSize, dir: st.dir };
      if (st.sort) q.sort = st.sort;
      if (st.search) q.search = st.search;
      fetch("/api/data/execute", {
        method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin",
        body: JSON.stringify({ dataRequest: cfg.dataRequest, query: q })
      }).then(function (r) {
        return r.json().then(function (j) { return { ok: r.ok, j: j }; });
      }).then(function (res) {
        if (seq !== st.seq) return;
        if (!res.ok || !res.j || !res.j.success) throw new Error("failed");
        var data = res.j.data || [];
        var list = Array.isArray(data) ? data : (data.rows || []);
        st.total = typeof res.j.total === "number" ? res.j.total : list.length;
        rows(list); paging();
        el.removeAttribute("aria-busy");
      }).catch(function () {
        if (seq !== st.seq) return;
        status("The rows could not be loaded.");
        el.removeAttribute("aria-busy");
      });
    }
    function sortBy(th) {
      var c = th.getAttribute("data-col");
      if (st.sort === c) st.dir = st.dir === "asc" ? "desc" : "asc"; else { st.sort = c; st.dir = "asc"; }
      st.page = 0; load();
    }
    if (cfg.sortable) {
      head.addEventListener("click", function (ev) { var th = ev.target.closest("th[data-col]"); if (th) sortBy(th); });
      head.addEventListener("keydown", function (ev) {
        var th = ev.target.closest("th[data-col]");
        if (th && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); sortBy(th); }
      });
    }
    if (pager) pager.addEventListener("click", function (ev) {
      var b = ev.target.closest("[data-fb-page]");
      if (!b || b.disabled) return;
      st.page = Math.max(0, st.page + parseInt(b.getAttribute("data-fb-page"), 10)); load();
    });
    if (input) {
      var timer;
      input.hidden = false;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { st.search = input.value.trim(); st.page = 0; load(); }, 250);
      });
    }
    headers();
    load();
  }

  function start() {
    // Tabs are links to their panels, shown by :target while this class
    // is absent (no JavaScript); from here on the runtime switches them.
    d.documentElement.classList.add("fb-js");
    conditions();
    $$("[data-fb-datatable]").forEach(dataTable);
    $$("[data-fb-actions]").forEach(function (el) {
      var list = actionsOf(el, "load");
      if (list.length) run(list, el, { type: "load" });
    });
  }
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start); else start();
  window.frontbase = { evaluate: evaluate, setVar: setVar, getVar: getVar, toast: toast };
})();
