// The console's script: plain JavaScript, embedded in the binary, no framework.
// Every page loads this first, then its own script (web/console/js/<page>.js),
// which draws the page from /console/api with the helpers below.
// Calls that change state send the page's CSRF token.
"use strict";
(function () {
  const body = document.body;
  const main = document.getElementById("page");
  const strings = JSON.parse((body && body.dataset.messages) || "{}");
  const params = new URLSearchParams(window.location.search);

  const C = {
    // The text of a key in the page's language (the key itself when missing).
    t(key, vars) {
      let s = strings[key] === undefined ? key : strings[key];
      for (const [k, v] of Object.entries(vars || {})) { s = s.split("{" + k + "}").join(String(v)); }
      return s;
    },
    csrf() { return main ? main.dataset.csrf : ""; },
    isOperator() { return main && main.dataset.role === "operator"; },
    // The tenant an operator looks at (?tenant=), empty for a tenant user.
    tenant() { return C.isOperator() ? (params.get("tenant") || "") : ""; },
    // `path` with the operator's tenant added to its query.
    withTenant(path) {
      const t = C.tenant();
      if (!t) { return path; }
      return path + (path.includes("?") ? "&" : "?") + "tenant=" + encodeURIComponent(t);
    },
    // A call to the console's API; JSON in and out. Throws an Error with the
    // server's message when the answer is not 2xx (and shows it).
    async api(method, path, payload) {
      const res = await fetch(C.withTenant(path), {
        method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": C.csrf() },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
      if (res.status === 401) { window.location.assign("/console/login"); }
      let data = null;
      try { data = await res.json(); } catch (e) { data = null; }
      if (!res.ok) {
        const msg = (data && data.message) || C.t("request_failed");
        C.showError(msg);
        const err = new Error(msg);
        err.status = res.status;
        err.data = data;
        throw err;
      }
      C.showError("");
      return data;
    },
    get(path) { return C.api("GET", path); },
    post(path, payload) { return C.api("POST", path, payload === undefined ? {} : payload); },
    showError(msg) {
      const e = document.getElementById("error");
      if (e) { e.textContent = msg || ""; }
    },
    // Builds an element: el("a", {href: "/x", id: "y", onclick: f}, "text", child…).
    el(tag, attrs, ...children) {
      const svg = ["svg", "rect", "line", "text", "g", "path", "polyline", "circle", "title"].includes(tag);
      const e = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
      for (const [k, v] of Object.entries(attrs || {})) {
        if (v === undefined || v === null || v === false) { continue; }
        if (k.startsWith("on") && typeof v === "function") { e.addEventListener(k.slice(2), v); }
        else if (k === "className") { e.setAttribute("class", v); }
        else if (k === "dataset") { Object.assign(e.dataset, v); }
        else if (v === true) { e.setAttribute(k, ""); }
        else { e.setAttribute(k, String(v)); }
      }
      for (const c of children.flat()) {
        if (c === undefined || c === null || c === false) { continue; }
        e.append(c instanceof Node ? c : document.createTextNode(String(c)));
      }
      return e;
    },
    // A table: columns [{key: "title key", cell: row => text or Node}], rows.
    table(id, columns, rows) {
      const head = C.el("tr", {}, columns.map((c) => C.el("th", {}, C.t(c.key))));
      const trs = rows.length
        ? rows.map((r) => C.el("tr", {}, columns.map((c) => C.el("td", {}, c.cell(r)))))
        : [C.el("tr", {}, C.el("td", { colspan: columns.length, className: "empty" }, C.t("none")))];
      return C.el("table", { id, className: "grid" }, C.el("thead", {}, head), C.el("tbody", {}, trs));
    },
    // A modal dialog with a form; resolves with the FormData on submit, null on cancel.
    // fields: [{name, key (label), type, value, options: [[value, label]], required}]
    dialog(id, titleKey, fields, extra) {
      return new Promise((resolve) => {
        const inputs = fields.map((f) => {
          let input;
          if (f.options) {
            input = C.el("select", { name: f.name, id: id + "-" + f.name },
              f.options.map(([v, label]) => C.el("option", { value: v, selected: String(v) === String(f.value) }, label)));
          } else if (f.type === "checkbox") {
            input = C.el("input", { type: "checkbox", name: f.name, id: id + "-" + f.name, checked: !!f.value });
          } else if (f.type === "textarea") {
            input = C.el("textarea", { name: f.name, id: id + "-" + f.name, required: f.required }, f.value || "");
          } else {
            input = C.el("input", { type: f.type || "text", name: f.name, id: id + "-" + f.name,
              value: f.value === undefined ? "" : f.value, required: f.required, min: f.min, max: f.max, step: f.step });
          }
          return C.el("label", { className: f.type === "checkbox" ? "check" : "" }, C.t(f.key), input);
        });
        const dlg = C.el("dialog", { id, className: "dialog" });
        const form = C.el("form", { method: "dialog" },
          C.el("h2", {}, C.t(titleKey)),
          C.el("p", { className: "error", id: id + "-error", role: "alert" }),
          inputs,
          extra || null,
          C.el("div", { className: "actions" },
            C.el("button", { type: "submit", id: id + "-save", value: "save" }, C.t("save")),
            C.el("button", { type: "button", id: id + "-cancel", onclick: () => { dlg.close(); } }, C.t("cancel"))));
        dlg.append(form);
        document.body.append(dlg);
        let done = false;
        form.addEventListener("submit", (ev) => {
          ev.preventDefault();
          const data = {};
          for (const f of fields) {
            const input = form.elements[f.name];
            data[f.name] = f.type === "checkbox" ? input.checked : input.value;
          }
          done = true;
          dlg.close();
          resolve(data);
        });
        dlg.addEventListener("close", () => { dlg.remove(); if (!done) { resolve(null); } });
        dlg.showModal();
      });
    },
    // Milliseconds since the epoch as local date and time.
    when(ms) {
      if (!ms) { return ""; }
      const d = new Date(ms);
      const p = (n) => String(n).padStart(2, "0");
      return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " + p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
    },
    // Runs the page's drawing function once the page is loaded; shows its error.
    start(draw) {
      const run = () => Promise.resolve().then(draw).catch((e) => C.showError(e.message));
      if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", run); } else { run(); }
    },
  };

  // The section of this page is marked; links keep the operator's tenant.
  function decorate() {
    const page = body && body.dataset.page;
    const current = document.getElementById("nav-" + page);
    if (current) { current.setAttribute("aria-current", "page"); }
    if (C.tenant()) {
      for (const a of document.querySelectorAll("nav.side a, nav.lang a")) {
        const u = new URL(a.getAttribute("href"), window.location.href);
        u.searchParams.set("tenant", C.tenant());
        a.setAttribute("href", u.pathname + u.search);
      }
    }
    if (C.isOperator()) {
      const pick = document.getElementById("tenant-pick");
      const select = document.getElementById("tenant-select");
      if (!pick || !select) { return; }
      fetch("/console/api/tenants", { credentials: "same-origin" })
        .then((r) => r.ok ? r.json() : { tenants: [] })
        .then((d) => {
          const chosen = C.tenant() || d.default || "";
          for (const name of d.tenants || []) {
            select.append(C.el("option", { value: name, selected: name === chosen }, name));
          }
          pick.hidden = false;
          select.addEventListener("change", () => {
            const u = new URL(window.location.href);
            u.searchParams.set("tenant", select.value);
            window.location.assign(u.pathname + u.search);
          });
        });
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", decorate); } else { decorate(); }

  window.numgateConsole = C;
})();
