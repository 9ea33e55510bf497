// The schemes page: drawn from /console/api, see console.js for the helpers.
// Lists the tenant's phone number verification and Fusion-Auth schemes; creates,
// edits (name and app identity) and deletes them with the Open API's rules.
"use strict";
(function () {
  const C = window.numgateConsole;
  const el = C.el;
  const area = document.getElementById("schemes-area");

  // The app identity a scheme registered, in one line.
  function identity(s) {
    switch (s.os_type) {
      case "Android": return [s.pack_name, s.pack_sign].filter(Boolean).join(" · ");
      case "iOS": return s.bundle_id || "";
      case "HarmonyOS": return [s.hm_package_name, s.hm_app_identifier].filter(Boolean).join(" · ");
      default: return [s.url, s.origin ? "(" + s.origin + ")" : ""].filter(Boolean).join(" ");
    }
  }

  function osOptions(kind) {
    const all = [["Android", "Android"], ["iOS", "iOS"], ["HarmonyOS", "HarmonyOS"], ["Web", C.t("schemes_os_web")]];
    return kind === "fusion" ? all.filter(([v]) => v !== "HarmonyOS") : all;
  }

  // The identity fields, each with its value from `s` when editing.
  function identityFields(s, os) {
    const f = (name, key) => ({ name, key, value: s ? (s[name] || "") : "" });
    const android = [f("pack_name", "schemes_pack_name"), f("pack_sign", "schemes_pack_sign")];
    const ios = [f("bundle_id", "schemes_bundle_id")];
    const web = [f("url", "schemes_url"), f("origin", "schemes_origin")];
    const harmony = [f("hm_app_identifier", "schemes_hm_app_identifier"), f("hm_package_name", "schemes_hm_package_name"), f("hm_sign_name", "schemes_hm_sign_name")];
    switch (os) {
      case "Android": return android;
      case "iOS": return ios;
      case "Web": return web;
      case "HarmonyOS": return harmony;
      default: return android.concat(ios, web, harmony);
    }
  }

  // A yes/no question in a modal; resolves true when confirmed.
  function confirmDialog(id, text) {
    return new Promise((resolve) => {
      let yes = false;
      const dlg = el("dialog", { id, className: "dialog" },
        el("p", { id: id + "-text" }, text),
        el("div", { className: "actions" },
          el("button", { type: "button", id: id + "-yes", onclick: () => { yes = true; dlg.close(); } }, C.t("delete")),
          el("button", { type: "button", id: id + "-no", onclick: () => dlg.close() }, C.t("cancel"))));
      dlg.addEventListener("close", () => { dlg.remove(); resolve(yes); });
      document.body.append(dlg);
      dlg.showModal();
    });
  }

  // A form dialog, opened again until the server accepts it or it is cancelled:
  // a refusal shows the server's message in the form, with what was typed kept.
  async function untilAccepted(id, titleKey, fields, extra, send) {
    let error = "";
    for (;;) {
      const answer = C.dialog(id, titleKey, fields, extra);
      const shown = document.getElementById(id + "-error");
      if (shown) { shown.textContent = error; }
      const values = await answer;
      if (!values) { return null; }
      try {
        return await send(values);
      } catch (e) {
        error = e.message;
        fields = fields.map((f) => Object.assign({}, f, { value: values[f.name] }));
      }
    }
  }

  async function create() {
    const kind = await C.dialog("scheme-kind", "schemes_new", [
      { name: "kind", key: "schemes_kind", value: "verify", options: [["verify", C.t("schemes_kind_verify")], ["fusion", C.t("schemes_kind_fusion")]] },
      { name: "os_type", key: "schemes_os_type", value: "Android", options: osOptions("verify") },
    ]);
    if (!kind) { return; }
    if (kind.kind === "fusion" && kind.os_type === "HarmonyOS") {
      C.showError(C.t("schemes_fusion_no_harmony"));
      return;
    }
    const fields = [
      { name: "name", key: "schemes_name", required: true },
      { name: "app_name", key: "schemes_app_name", required: true },
    ].concat(identityFields(null, kind.os_type));
    if (kind.kind === "verify") {
      fields.push(
        { name: "auth_type", key: "schemes_auth_type", value: "1" },
        { name: "scene_type", key: "schemes_scene_type" },
        { name: "sms_sign_name", key: "schemes_sms_sign_name" },
        { name: "ip_white_list", key: "schemes_ip_white_list" },
        { name: "email", key: "schemes_email" },
        { name: "cm_api_code", key: "schemes_cm_api_code" },
        { name: "cu_api_code", key: "schemes_cu_api_code" },
        { name: "ct_api_code", key: "schemes_ct_api_code" });
    }
    const note = el("p", { className: "note" }, C.t(kind.kind === "fusion" ? "schemes_kind_fusion" : "schemes_kind_verify") + " · " + kind.os_type);
    const res = await untilAccepted("scheme-dialog", "schemes_new", fields, note, (values) => {
      values.kind = kind.kind;
      values.os_type = kind.os_type;
      return C.post("/console/api/schemes", values);
    });
    if (!res) { return; }
    await draw();
    const created = document.getElementById("scheme-code-" + res.scheme.code);
    if (created) { created.closest("tr").classList.add("fresh"); }
  }

  async function edit(s) {
    const fields = [
      { name: "name", key: "schemes_name", value: s.name, required: true },
      { name: "app_name", key: "schemes_app_name", value: s.app_name, required: true },
    ].concat(identityFields(s, s.os_type));
    const note = el("p", { className: "note" }, s.code + " · " + s.os_type);
    const res = await untilAccepted("scheme-edit", "schemes_edit", fields, note,
      (values) => C.post("/console/api/schemes/" + s.kind + "/" + encodeURIComponent(s.code), values));
    if (!res) { return; }
    await draw();
  }

  async function remove(s) {
    const ok = await confirmDialog("scheme-confirm", C.t("schemes_confirm_delete", { code: s.code, name: s.name }));
    if (!ok) { return; }
    await C.api("DELETE", "/console/api/schemes/" + s.kind + "/" + encodeURIComponent(s.code));
    await draw();
  }

  // Runs an action; its error is already shown by the API helper.
  function action(f) {
    return () => { f().catch(() => {}); };
  }

  async function draw() {
    const data = await C.get("/console/api/schemes");
    const table = C.table("schemes-table", [
      { key: "schemes_code", cell: (s) => el("code", { id: "scheme-code-" + s.code, className: "scheme-code" }, s.code) },
      { key: "schemes_kind", cell: (s) => el("span", { className: "tag" }, C.t(s.kind === "fusion" ? "schemes_kind_fusion" : "schemes_kind_verify")) },
      { key: "schemes_name", cell: (s) => el("span", { id: "scheme-name-" + s.code }, s.name) },
      { key: "schemes_app_name", cell: (s) => s.app_name },
      { key: "schemes_os_type", cell: (s) => s.os_type },
      { key: "schemes_identity", cell: (s) => el("span", { id: "scheme-identity-" + s.code }, identity(s)) },
      { key: "schemes_created", cell: (s) => C.when(s.created_at) },
      { key: "schemes_actions", cell: (s) => el("span", { className: "inline" },
        el("button", { type: "button", id: "scheme-edit-" + s.code, onclick: action(() => edit(s)) }, C.t("edit")),
        el("button", { type: "button", id: "scheme-delete-" + s.code, onclick: action(() => remove(s)) }, C.t("delete"))) },
    ], data.schemes);
    area.replaceChildren(
      el("div", { className: "panel" },
        el("p", { className: "inline" },
          el("button", { type: "button", id: "schemes-new", onclick: action(create) }, C.t("schemes_new")),
          el("span", { id: "schemes-count" }, C.t("schemes_count", { n: data.schemes.length }))),
        table));
  }

  C.start(draw);
})();
