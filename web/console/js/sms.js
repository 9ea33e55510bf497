// The sms page: signatures and templates (complimentary ones marked), custom
// submissions and the operator's review, send records (as QuerySendDetails gives
// them: codes masked) and the development outbox. See console.js for the helpers.
"use strict";
(function () {
  const C = window.numgateConsole;
  const el = C.el;
  const area = document.getElementById("sms-area");
  const tabs = ["signatures", "templates", "review", "records", "outbox"];
  let current = "signatures";

  // A known error code in the page's language; the server's words otherwise.
  async function send(path, body) {
    try {
      return await C.post(path, body);
    } catch (e) {
      const code = e.data && e.data.error;
      const key = code && code.startsWith("sms_") ? "sms_err_" + code.slice(4) : "";
      if (key && C.t(key) !== key) { C.showError(C.t(key) + " (" + e.message + ")"); }
      throw e;
    }
  }

  function status(s) {
    return el("span", { className: s === "approved" ? "tag" : "tag off", dataset: { status: s } }, C.t("sms_status_" + s));
  }

  function kind(row) {
    return row.complimentary
      ? el("span", { className: "tag complimentary" }, C.t("sms_complimentary"))
      : el("span", { className: "tag custom" }, C.t("sms_custom"));
  }

  function reviewNote(row) {
    const parts = [];
    if (row.submitted_by) { parts.push(C.t("sms_submitted_by", { who: row.submitted_by, when: C.when(row.submitted_at) })); }
    if (row.reviewed_by) { parts.push(C.t("sms_reviewed_by", { who: row.reviewed_by, when: C.when(row.reviewed_at) })); }
    if (row.reason) { parts.push(C.t("sms_reason_is", { reason: row.reason })); }
    return parts.join(" · ");
  }

  function purpose(p) { return p ? C.t("sms_purpose_" + p) : ""; }

  // Opens a form dialog until its submission is accepted or it is cancelled: a
  // refused one opens again with what was typed and the reason.
  async function submitLoop(open, path) {
    let values = null;
    let error = "";
    for (;;) {
      const pending = open(values);
      if (error) {
        const e = document.querySelector("dialog.dialog[open] p.error");
        if (e) { e.textContent = error; }
      }
      const v = await pending;
      if (!v) { C.showError(""); return; }
      try {
        await send(path, v);
        await draw();
        return;
      } catch (e) {
        values = v;
        error = document.getElementById("error").textContent || e.message;
      }
    }
  }

  function signatureDialog(prefill) {
    return submitLoop((typed) => signatureForm(typed || prefill), "/console/api/sms/signatures");
  }

  function templateDialog() {
    return submitLoop(templateForm, "/console/api/sms/templates");
  }

  function signatureForm(prefill) {
    return C.dialog("sms-signature-dialog", "sms_new_signature", [
      { name: "name", key: "sms_sign_name", required: true, value: prefill && prefill.name },
      { name: "purpose", key: "sms_purpose", value: (prefill && prefill.purpose) || "own",
        options: [["own", C.t("sms_purpose_own")], ["others", C.t("sms_purpose_others")]] },
      { name: "owner_name", key: "sms_owner_name", value: prefill && prefill.owner_name },
      { name: "owner_id_number", key: "sms_owner_id_number", value: prefill && prefill.owner_id_number },
      { name: "contact_phone", key: "sms_contact_phone", value: prefill && prefill.contact_phone },
    ], el("p", { className: "note" }, C.t("sms_owner_note")));
  }

  function templateForm(typed) {
    const t = typed || {};
    return C.dialog("sms-template-dialog", "sms_new_template", [
      { name: "name", key: "sms_template_name", required: true, value: t.name },
      { name: "template_type", key: "sms_template_type", value: t.template_type || "0",
        options: ["0", "1", "2", "3"].map((k) => [k, C.t("sms_type_" + k)]) },
      { name: "content", key: "sms_content", type: "textarea", required: true, value: t.content },
      { name: "remark", key: "sms_remark", value: t.remark },
    ], el("p", { className: "note" }, C.t("sms_content_note")));
  }

  function signaturesTab(d) {
    const pending = (s) => !s.complimentary && s.status !== "approved";
    return el("div", { className: "panel" },
      el("div", { className: "inline" },
        el("button", { id: "sms-new-signature", type: "button", onclick: () => signatureDialog().catch(() => {}) }, C.t("sms_new_signature"))),
      C.table("sms-signatures", [
        { key: "sms_sign_name", cell: (s) => s.name },
        { key: "sms_kind", cell: kind },
        { key: "sms_status", cell: (s) => status(s.status) },
        { key: "sms_purpose", cell: (s) => purpose(s.purpose) },
        { key: "sms_owner_name", cell: (s) => s.owner_name || "" },
        { key: "sms_review", cell: reviewNote },
        { key: "sms_actions", cell: (s) => pending(s)
          ? el("button", { type: "button", className: "link", dataset: { resubmit: s.name },
            onclick: () => signatureDialog(s).catch(() => {}) }, C.t("sms_resubmit"))
          : "" },
      ], d.signatures));
  }

  function templatesTab(d) {
    return el("div", { className: "panel" },
      el("div", { className: "inline" },
        el("button", { id: "sms-new-template", type: "button", onclick: () => templateDialog().catch(() => {}) }, C.t("sms_new_template"))),
      C.table("sms-templates", [
        { key: "sms_template_code", cell: (t) => el("code", {}, t.code) },
        { key: "sms_template_name", cell: (t) => t.name },
        { key: "sms_kind", cell: kind },
        { key: "sms_status", cell: (t) => status(t.status) },
        { key: "sms_template_type", cell: (t) => t.template_type === null || t.template_type === undefined ? "" : C.t("sms_type_" + t.template_type) },
        { key: "sms_content", cell: (t) => t.content },
        { key: "sms_review", cell: reviewNote },
      ], d.templates));
  }

  async function decide(kindName, row, approve) {
    const body = { key: kindName === "signature" ? row.name : row.code, submitted_at: row.submitted_at,
      decision: approve ? "approve" : "reject", reason: "" };
    if (!approve) {
      const v = await C.dialog("sms-reject-dialog", "sms_reject", [{ name: "reason", key: "sms_reason", required: true }]);
      if (!v) { return; }
      body.reason = v.reason;
    }
    await send("/console/api/sms/" + kindName + "s/review", body);
    await draw();
  }

  function reviewButtons(kindName, row, key) {
    return el("span", {},
      el("button", { type: "button", className: "link", id: "sms-approve-" + kindName + "-" + key,
        onclick: () => decide(kindName, row, true).catch(() => {}) }, C.t("sms_approve")),
      el("button", { type: "button", className: "link", id: "sms-reject-" + kindName + "-" + key,
        onclick: () => decide(kindName, row, false).catch(() => {}) }, C.t("sms_reject")));
  }

  function reviewTab(d) {
    const sigs = d.signatures.filter((s) => s.status === "pending");
    const tpls = d.templates.filter((t) => t.status === "pending");
    return el("div", {},
      el("div", { className: "panel" },
        el("h2", {}, C.t("sms_pending_signatures")),
        C.table("sms-pending-signatures", [
          { key: "sms_sign_name", cell: (s) => s.name },
          { key: "sms_purpose", cell: (s) => purpose(s.purpose) },
          { key: "sms_owner_name", cell: (s) => s.owner_name || el("span", { className: "tag off" }, C.t("sms_missing")) },
          { key: "sms_owner_id_number", cell: (s) => s.owner_id_number || el("span", { className: "tag off" }, C.t("sms_missing")) },
          { key: "sms_contact_phone", cell: (s) => s.contact_phone || el("span", { className: "tag off" }, C.t("sms_missing")) },
          { key: "sms_review", cell: reviewNote },
          { key: "sms_actions", cell: (s) => reviewButtons("signature", s, sigs.indexOf(s)) },
        ], sigs)),
      el("div", { className: "panel" },
        el("h2", {}, C.t("sms_pending_templates")),
        C.table("sms-pending-templates", [
          { key: "sms_template_code", cell: (t) => el("code", {}, t.code) },
          { key: "sms_template_name", cell: (t) => t.name },
          { key: "sms_template_type", cell: (t) => C.t("sms_type_" + t.template_type) },
          { key: "sms_content", cell: (t) => t.content },
          { key: "sms_remark", cell: (t) => t.remark || "" },
          { key: "sms_actions", cell: (t) => reviewButtons("template", t, tpls.indexOf(t)) },
        ], tpls)));
  }

  function input(id, key, attrs) {
    return el("label", {}, C.t(key), el("input", Object.assign({ id, type: "text" }, attrs || {})));
  }

  function recordsTab() {
    const out = el("div", { id: "sms-records-result" });
    const search = async () => {
      const q = new URLSearchParams({
        phone: document.getElementById("sms-records-phone").value,
        date: document.getElementById("sms-records-date").value,
        biz_id: document.getElementById("sms-records-biz").value,
      });
      const r = await C.get("/console/api/sms/records?" + q.toString());
      out.replaceChildren(
        el("p", { id: "sms-records-total" }, C.t("sms_records_total", { total: r.total, date: r.date })),
        C.table("sms-records", [
          { key: "sms_phone", cell: (x) => x.phone },
          { key: "sms_send_status", cell: (x) => el("span", { className: x.status === 2 ? "tag off" : "tag" }, C.t("sms_send_status_" + x.status)) },
          { key: "sms_content", cell: (x) => el("span", { className: "record-content" }, x.content) },
          { key: "sms_template_code", cell: (x) => x.template_code },
          { key: "sms_send_date", cell: (x) => x.send_date || "" },
          { key: "sms_receive_date", cell: (x) => x.receive_date || "" },
          { key: "sms_err_code", cell: (x) => x.err_code || "" },
          { key: "sms_biz_id", cell: (x) => el("code", {}, x.biz_id) },
          { key: "sms_out_id", cell: (x) => x.out_id || "" },
        ], r.records));
    };
    const form = el("form", { className: "inline", id: "sms-records-form" },
      input("sms-records-phone", "sms_phone", { required: true, placeholder: "13800138000" }),
      input("sms-records-date", "sms_date", { placeholder: C.t("sms_date_hint") }),
      input("sms-records-biz", "sms_biz_id"),
      el("button", { id: "sms-records-search", type: "submit" }, C.t("search")));
    form.addEventListener("submit", (ev) => { ev.preventDefault(); search().catch(() => {}); });
    return el("div", { className: "panel" }, el("p", { className: "note" }, C.t("sms_records_note")), form, out);
  }

  function outboxTab() {
    const out = el("div", { id: "sms-outbox-result" });
    const phoneInput = el("input", { id: "sms-outbox-phone", type: "text" });
    // Runs once before the panel is in the page: read the input itself.
    const load = async () => {
      const phone = phoneInput.value.trim();
      const r = await C.get("/console/api/sms/outbox" + (phone ? "?phone=" + encodeURIComponent(phone) : ""));
      out.replaceChildren(C.table("sms-outbox", [
        { key: "sms_time", cell: (m) => C.when(m.created_at) },
        { key: "sms_phone", cell: (m) => "+" + m.phone },
        { key: "sms_text", cell: (m) => el("span", { className: "outbox-text" }, m.text === null ? C.t("sms_unreadable") : m.text) },
        { key: "sms_biz_id", cell: (m) => el("code", {}, m.biz_id) },
        { key: "sms_delivery", cell: (m) => m.status },
      ], r.messages));
    };
    const form = el("form", { className: "inline", id: "sms-outbox-form" },
      el("label", {}, C.t("sms_phone"), phoneInput),
      el("button", { id: "sms-outbox-search", type: "submit" }, C.t("search")));
    form.addEventListener("submit", (ev) => { ev.preventDefault(); load().catch(() => {}); });
    load().catch(() => {});
    return el("div", { className: "panel" }, el("p", { className: "note" }, C.t("sms_outbox_note")), form, out);
  }

  async function draw() {
    const shown = tabs.filter((t) => t !== "review" || C.isOperator());
    const bar = el("div", { className: "tabs", role: "tablist" }, shown.map((t) =>
      el("button", { type: "button", role: "tab", id: "sms-tab-" + t, "aria-selected": t === current ? "true" : "false",
        onclick: () => { current = t; draw().catch((e) => C.showError(e.message)); } }, C.t("sms_tab_" + t))));
    let panel;
    if (current === "records") { panel = recordsTab(); }
    else if (current === "outbox") { panel = outboxTab(); }
    else {
      const d = await C.get("/console/api/sms/catalog");
      panel = current === "templates" ? templatesTab(d) : current === "review" ? reviewTab(d) : signaturesTab(d);
    }
    area.replaceChildren(bar, el("div", { id: "sms-panel", dataset: { tab: current } }, panel));
  }

  C.start(draw);
})();
