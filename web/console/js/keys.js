// The keys page: drawn from /console/api, see console.js for the helpers.
// Lists the tenant's AccessKeys; creates one (its secret shown here once, never
// again), disables and enables them.
"use strict";
(function () {
  const C = window.numgateConsole;
  const el = C.el;
  const area = document.getElementById("keys-area");
  // The key just created, shown until the page is left.
  let created = null;

  function action(f) {
    return () => { f().catch(() => {}); };
  }

  async function create() {
    const res = await C.post("/console/api/keys");
    created = el("div", { className: "panel", id: "key-created" },
      el("h2", {}, C.t("keys_created")),
      el("p", {}, C.t("keys_id"), " ", el("code", { id: "key-id" }, res.id)),
      el("p", {}, C.t("keys_secret")),
      el("p", { className: "secret", id: "key-secret" }, res.secret),
      el("p", { className: "note" }, C.t("keys_secret_once")));
    await draw();
  }

  async function setEnabled(id, enabled) {
    await C.post("/console/api/keys/" + encodeURIComponent(id) + (enabled ? "/enable" : "/disable"));
    await draw();
  }

  async function draw() {
    const data = await C.get("/console/api/keys");
    const table = C.table("keys-table", [
      { key: "keys_id", cell: (k) => el("code", { id: "key-row-" + k.id }, k.id) },
      { key: "keys_created_at", cell: (k) => C.when(k.created_at) },
      { key: "keys_status", cell: (k) => el("span", { id: "key-status-" + k.id, className: k.enabled ? "tag" : "tag off" }, C.t(k.enabled ? "keys_enabled" : "keys_disabled")) },
      { key: "keys_last_used", cell: (k) => k.last_used_at ? C.when(k.last_used_at) : C.t("keys_never") },
      { key: "keys_actions", cell: (k) => k.enabled
        ? el("button", { type: "button", id: "key-disable-" + k.id, onclick: action(() => setEnabled(k.id, false)) }, C.t("keys_disable"))
        : el("button", { type: "button", id: "key-enable-" + k.id, onclick: action(() => setEnabled(k.id, true)) }, C.t("keys_enable")) },
    ], data.keys);
    area.replaceChildren(
      created || "",
      el("div", { className: "panel" },
        el("p", { className: "inline" },
          el("button", { type: "button", id: "keys-new", onclick: action(create) }, C.t("keys_new")),
          el("span", { id: "keys-count" }, C.t("keys_count", { n: data.keys.length }))),
        table));
  }

  C.start(draw);
})();
