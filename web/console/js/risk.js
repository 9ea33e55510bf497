// The risk page: the tenant's block and allow lists (add, remove), and the
// recent refused Fusion-Auth attempts with the rules that fired, newest first,
// a page at a time. Helpers in console.js.
"use strict";
(function () {
  const C = window.numgateConsole;
  const $ = (id) => document.getElementById(id);

  async function drawLists() {
    const d = await C.get("/console/api/risk/lists");
    const table = C.table("risk-lists-table", [
      { key: "risk_number", cell: (e) => C.el("span", { className: "mono" }, e.number) },
      { key: "risk_kind", cell: (e) => C.el("span", { className: e.kind === "block" ? "tag off" : "tag", id: "risk-kind-" + e.number.slice(1) }, C.t("risk_kind_" + e.kind)) },
      { key: "risk_note", cell: (e) => e.note || "" },
      { key: "risk_updated", cell: (e) => C.when(e.updated_at) },
      { key: "risk_actions", cell: (e) => C.el("button", {
        type: "button", className: "link", id: "risk-remove-" + e.number.slice(1),
        onclick: () => remove(e.number),
      }, C.t("risk_remove")) },
    ], d.entries);
    $("risk-lists").replaceChildren(table);
  }

  async function remove(number) {
    if (!window.confirm(C.t("risk_confirm_remove", { number }))) { return; }
    await C.post("/console/api/risk/lists/remove", { number });
    $("risk-added").textContent = "";
    await drawLists();
  }

  function rulesOf(a) {
    if (!a.rules.length) { return C.t("risk_no_rules"); }
    return C.el("ul", { className: "rules" }, a.rules.map((r) =>
      C.el("li", {}, C.el("span", { className: "tag" }, String(r.node) + " · " + String(r.rule)),
        " ", r.reason || "", r.points ? " (+" + r.points + ")" : "")));
  }

  const refused = [];
  let next = null;

  async function loadRefused(more) {
    let path = "/console/api/risk/refused";
    if (more && next) { path += "?before_at=" + next.before_at + "&before_id=" + next.before_id; }
    const d = await C.get(path);
    if (!more) { refused.length = 0; }
    refused.push(...d.attempts);
    next = d.next;
    const table = C.table("risk-refused-table", [
      { key: "risk_time", cell: (a) => C.when(a.at) },
      { key: "risk_number", cell: (a) => C.el("span", { className: "mono" }, a.number || "") },
      { key: "risk_scene", cell: (a) => C.t("risk_scene_" + a.scene) + " (" + a.scene + ")" },
      { key: "risk_scheme", cell: (a) => C.el("span", { className: "mono" }, a.scheme) },
      { key: "risk_outcome", cell: (a) => C.el("span", { className: "tag off" }, C.t("risk_outcome_" + a.outcome)) },
      { key: "risk_rules", cell: rulesOf },
    ], refused);
    $("risk-refused").replaceChildren(table);
    $("risk-more").hidden = !next;
  }

  C.start(async () => {
    $("risk-add-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = {
        country: $("risk-country").value,
        number: $("risk-number").value,
        kind: $("risk-kind").value,
        note: $("risk-note").value,
      };
      try {
        const e = await C.post("/console/api/risk/lists", body);
        $("risk-added").textContent = C.t("risk_added", { number: e.number, list: C.t("risk_kind_" + e.kind) });
        $("risk-number").value = "";
        $("risk-note").value = "";
        await drawLists();
      } catch (e) {
        $("risk-added").textContent = "";
      }
    });
    $("risk-more").addEventListener("click", () => loadRefused(true).catch((e) => C.showError(e.message)));
    await Promise.all([drawLists(), loadRefused(false)]);
  });
})();
