// The audit log: who changed what, when, before and after; newest first, a page at a time.
"use strict";
(function () {
  const C = window.numgateConsole;
  const el = C.el;
  let next = null;
  let rows = [];

  // `console:alice` → "alice (console)"; the source is translated.
  function actor(a) {
    const i = a.indexOf(":");
    if (i < 0) { return a; }
    return el("span", {}, a.slice(i + 1), " ", el("span", { className: "tag" }, C.t("audit_source_" + a.slice(0, i))));
  }

  function settings(text) {
    if (!text) { return ""; }
    let shown = text;
    // Settings left empty (null) are not shown.
    try {
      const v = JSON.parse(text);
      const kept = v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null))
        : v;
      shown = JSON.stringify(kept, null, 1);
    } catch (e) { shown = text; }
    return el("pre", { className: "mono small" }, shown);
  }

  function redraw() {
    const area = document.getElementById("audit-area");
    area.replaceChildren(C.table("audit-table", [
      { key: "audit_when", cell: (r) => C.when(r.at) },
      { key: "audit_actor", cell: (r) => actor(r.actor) },
      { key: "audit_action", cell: (r) => el("code", {}, r.action) },
      { key: "audit_target", cell: (r) => r.target },
      { key: "audit_before", cell: (r) => settings(r.before) },
      { key: "audit_after", cell: (r) => settings(r.after) },
    ], rows));
    document.getElementById("audit-more").hidden = next === null;
  }

  async function load(more) {
    const q = more && next !== null ? "?before=" + next : "";
    const data = await C.get("/console/api/audit" + q);
    rows = more ? rows.concat(data.entries) : data.entries;
    next = data.next;
    redraw();
  }

  C.start(() => {
    document.getElementById("audit-more").addEventListener("click", () => load(true).catch(() => {}));
    return load(false);
  });
})();
