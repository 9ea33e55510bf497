// The policies page: the Fusion-Auth policy graph of a scene, globally (the
// tenant's policy) or for one Fusion-Auth scheme, drawn in SVG; a node opens a
// dialog to change or restore its settings, with how the node is billed.
// Drawn from /console/api/policies, see console.js for the helpers.
"use strict";
(function () {
  const C = window.numgateConsole;
  const SVG = "http://www.w3.org/2000/svg";
  const SCENES = ["100001", "100002", "100003", "100004", "100005"];
  const state = { tab: "global", scene: "100001", scheme: "", view: null };

  // An SVG element (console.js's el() knows the common tags; markers need more).
  function svg(tag, attrs, ...children) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) { continue; }
      if (k.startsWith("on") && typeof v === "function") { e.addEventListener(k.slice(2), v); } else { e.setAttribute(k, String(v)); }
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null) { continue; }
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function query() {
    let q = "/console/api/policies?scene=" + encodeURIComponent(state.scene);
    if (state.tab === "scheme" && state.scheme) { q += "&scheme=" + encodeURIComponent(state.scheme); }
    return q;
  }

  function level() {
    return { scene: state.scene, scheme: state.tab === "scheme" ? state.scheme : null };
  }

  function status(text) { document.getElementById("policies-status").textContent = text || ""; }

  async function load() {
    const view = await C.get(query());
    state.view = view;
    if (state.tab === "scheme" && !state.scheme && view.schemes.length) {
      state.scheme = view.schemes[0].code;
      return load();
    }
    draw();
  }

  function draw() {
    drawTabs();
    drawPickers();
    drawLevel();
    drawGraph();
  }

  function drawTabs() {
    const tabs = document.getElementById("policies-tabs");
    tabs.replaceChildren(...["global", "scheme"].map((t) => C.el("button", {
      type: "button", role: "tab", id: "policies-tab-" + t, "aria-selected": state.tab === t ? "true" : "false",
      onclick: () => { if (state.tab !== t) { state.tab = t; status(""); load(); } },
    }, C.t("policies_tab_" + t))));
  }

  function drawPickers() {
    const v = state.view;
    const scene = C.el("select", { id: "policies-scene", onchange: (e) => { state.scene = e.target.value; status(""); load(); } },
      SCENES.map((s) => C.el("option", { value: s, selected: s === state.scene }, s + " · " + C.t("policies_scene_" + s))));
    const parts = [C.el("label", {}, C.t("policies_scene"), scene)];
    if (state.tab === "scheme") {
      if (v.schemes.length) {
        const pick = C.el("select", { id: "policies-scheme", onchange: (e) => { state.scheme = e.target.value; status(""); load(); } },
          v.schemes.map((s) => C.el("option", { value: s.code, selected: s.code === state.scheme }, s.code + " · " + s.name + " (" + s.app_name + ")")));
        parts.push(C.el("label", {}, C.t("policies_scheme"), pick));
      } else {
        parts.push(C.el("p", { id: "policies-no-schemes" }, C.t("policies_no_schemes")));
      }
    }
    document.getElementById("policies-pickers").replaceChildren(...parts);
  }

  function drawLevel() {
    const v = state.view;
    const area = document.getElementById("policies-level");
    const noScheme = state.tab === "scheme" && !state.scheme;
    if (noScheme) { area.replaceChildren(); return; }
    const rows = [
      C.el("dt", {}, C.t("policies_source")), C.el("dd", { id: "policies-source" }, C.t("policies_source_" + v.source)),
      C.el("dt", {}, C.t("policies_version")), C.el("dd", { id: "policies-version" }, String(v.version)),
    ];
    if (v.updated_by) {
      rows.push(C.el("dt", {}, C.t("policies_updated")), C.el("dd", { id: "policies-updated" }, C.when(v.updated_at) + " · " + v.updated_by));
    }
    const switches = [];
    if (state.tab === "scheme") {
      switches.push(C.el("label", { className: "check" },
        C.el("input", { type: "checkbox", id: "policies-inherit", checked: v.inherit, onchange: (e) => toggle("inherit", e.target) }),
        C.t("policies_inherit")));
    }
    switches.push(C.el("label", { className: "check" },
      C.el("input", { type: "checkbox", id: "policies-logging", checked: v.logging, onchange: (e) => toggle("logging", e.target) }),
      C.t("policies_logging")));
    const restore = C.el("button", { type: "button", id: "policies-restore-level", onclick: restoreLevel }, C.t("policies_restore_level"));
    area.replaceChildren(
      C.el("dl", {}, rows),
      C.el("p", { className: "hint" }, C.t(state.tab === "scheme" ? "policies_inherit_hint" : "policies_global_hint")),
      C.el("div", { className: "inline" }, switches, restore));
  }

  async function toggle(which, input) {
    const on = input.checked;
    try {
      state.view = await C.post("/console/api/policies/" + which, Object.assign(level(), { on }));
      status(C.t("policies_saved", { version: state.view.version }));
      draw();
    } catch (e) {
      input.checked = !on;
    }
  }

  async function restoreLevel() {
    if (!window.confirm(C.t("policies_restore_level_confirm"))) { return; }
    try {
      state.view = await C.post("/console/api/policies/restore", level());
      status(C.t("policies_restored"));
      draw();
    } catch (e) { /* shown by console.js */ }
  }

  // ---- the graph ----

  // Every edge of a node: its outcomes, and a risk check's skip on high risk.
  function edges(n) {
    const out = Object.entries(n.next || {}).map(([o, t]) => ({ label: o, to: t }));
    const high = n.settings && n.settings.on_high;
    if (high && high.action === "skip_to") { out.push({ label: "on_high", to: high.node }); }
    if (high && high.action === "refuse") { out.push({ label: "on_high", to: "refuse" }); }
    return out;
  }

  // Rows by the longest path from the start (the graph has no cycle); the two
  // ends go to the last rows.
  function layout(graph) {
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    const depth = new Map();
    const visit = (id, d, seen) => {
      if (!byId.has(id) || seen.has(id)) { return; }
      if (depth.has(id) && depth.get(id) >= d) { return; }
      depth.set(id, d);
      seen.add(id);
      for (const e of edges(byId.get(id))) { visit(e.to, d + 1, seen); }
      seen.delete(id);
    };
    visit(graph.start, 0, new Set());
    let max = 0;
    for (const n of graph.nodes) {
      if (!depth.has(n.id)) { depth.set(n.id, 0); }
      max = Math.max(max, depth.get(n.id));
    }
    depth.set("pass", max + 1);
    depth.set("refuse", max + 1);
    const rows = [];
    for (const id of [...graph.nodes.map((n) => n.id), "pass", "refuse"]) {
      const d = depth.get(id);
      (rows[d] = rows[d] || []).push(id);
    }
    const W = 800, ROW = 92, BOX_W = 196, BOX_H = 46, GAP = 40;
    const pos = new Map();
    rows.forEach((ids, d) => {
      const width = ids.length * BOX_W + (ids.length - 1) * GAP;
      ids.forEach((id, i) => {
        pos.set(id, { x: (W - width) / 2 + i * (BOX_W + GAP), y: 20 + d * ROW, w: BOX_W, h: BOX_H });
      });
    });
    return { pos, width: W, height: 20 + rows.length * ROW };
  }

  function drawGraph() {
    const area = document.getElementById("policies-graph-area");
    const v = state.view;
    if (state.tab === "scheme" && !state.scheme) { area.replaceChildren(); return; }
    const { pos, width, height } = layout(v.graph);
    const root = svg("svg", { id: "policies-graph", class: "graph", width, height, viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": C.t("policies_graph") });
    root.append(svg("defs", {}, svg("marker", { id: "policies-arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow" }))));
    const edgeLayer = svg("g", { class: "edges" });
    const nodeLayer = svg("g", { class: "nodes" });
    root.append(edgeLayer, nodeLayer);
    let bend = 0;
    for (const n of v.graph.nodes) {
      for (const e of edges(n)) {
        const a = pos.get(n.id), b = pos.get(e.to);
        if (!a || !b) { continue; }
        const x1 = a.x + a.w / 2, y1 = a.y + a.h, x2 = b.x + b.w / 2, y2 = b.y;
        const rowsApart = Math.round((b.y - a.y) / 92);
        let d, lx, ly;
        if (rowsApart <= 1) {
          d = "M " + x1 + " " + y1 + " L " + x2 + " " + y2;
          lx = (x1 + x2) / 2 + 6; ly = (y1 + y2) / 2;
        } else {
          // A fallback past the rows between: around them, on the right.
          bend += 1;
          const side = Math.max(a.x + a.w, b.x + b.w) + 30 + (bend % 3) * 28;
          const sy = a.y + a.h / 2, ey = b.y + b.h / 2;
          d = "M " + (a.x + a.w) + " " + sy + " C " + side + " " + sy + ", " + side + " " + ey + ", " + (b.x + b.w) + " " + ey;
          lx = side - 4; ly = (sy + ey) / 2;
        }
        edgeLayer.append(svg("g", { id: "edge-" + n.id + "-" + e.label, class: "edge-group" },
          svg("path", { d, class: "edge" + (e.label === "failure" || e.label === "on_high" ? " fallback" : ""), "marker-end": "url(#policies-arrow)" }),
          svg("text", { x: lx, y: ly, class: "edge-label" }, C.t("policies_edge_" + e.label))));
      }
    }
    for (const n of v.graph.nodes) {
      const p = pos.get(n.id);
      const cls = "node" + (n.enabled ? "" : " off");
      const g = svg("g", { id: "node-" + n.id, class: cls, tabindex: 0, role: "button", "aria-label": n.id,
        onclick: () => openNode(n.id),
        onkeydown: (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); openNode(n.id); } } },
      svg("title", {}, C.t("policies_open_node")),
      svg("rect", { x: p.x, y: p.y, width: p.w, height: p.h, rx: 6 }),
      svg("text", { x: p.x + 10, y: p.y + 18, class: "node-title" }, C.t("policies_kind_" + n.kind)),
      svg("text", { x: p.x + 10, y: p.y + 35, class: "node-sub" }, n.id + summary(n)));
      nodeLayer.append(g);
    }
    for (const end of ["pass", "refuse"]) {
      const p = pos.get(end);
      nodeLayer.append(svg("g", { id: "end-" + end, class: "end " + end },
        svg("rect", { x: p.x + 48, y: p.y, width: p.w - 96, height: p.h, rx: 22 }),
        svg("text", { x: p.x + p.w / 2, y: p.y + 28, "text-anchor": "middle" }, C.t("policies_end_" + end))));
    }
    area.replaceChildren(C.el("h2", {}, C.t("policies_graph")), C.el("p", { className: "hint" }, C.t("policies_graph_hint")), root);
  }

  // A short note of the node's main setting, under its id.
  function summary(n) {
    const s = n.settings || {};
    if (!n.enabled) { return " · " + C.t("policies_off"); }
    if (s.threshold !== undefined) { return " · " + C.t("policies_threshold_short", { v: s.threshold }); }
    if (s.timeout_ms !== undefined) { return " · " + s.timeout_ms + " ms"; }
    if (s.valid_seconds !== undefined) { return " · " + s.valid_seconds + " s"; }
    if (s.wait_seconds !== undefined) { return " · " + s.wait_seconds + " s"; }
    return "";
  }

  // ---- the node dialog ----

  // A form field: {name, key, value, type, options, min, max}.
  function field(f) {
    const id = "policies-node-" + f.name;
    let input;
    if (f.options) {
      input = C.el("select", { id, name: f.name }, f.options.map(([v, label]) => C.el("option", { value: v, selected: String(v) === String(f.value) }, label)));
    } else if (f.type === "checkbox") {
      input = C.el("input", { type: "checkbox", id, name: f.name, checked: !!f.value });
    } else {
      input = C.el("input", { type: f.type || "text", id, name: f.name, value: f.value === undefined ? "" : f.value, min: f.min, max: f.max });
    }
    const label = C.el("label", { className: f.type === "checkbox" ? "check" : "" }, C.t(f.key), input);
    if (f.hint) { label.append(C.el("small", { className: "hint" }, C.t(f.hint))); }
    return label;
  }

  // A number field's value as a number when it is one, else as typed (the
  // server then says what is wrong with it).
  function num(form, name) {
    const raw = form.elements[name].value.trim();
    return /^-?\d+$/.test(raw) ? Number(raw) : raw;
  }

  function targets(n) {
    const ids = state.view.graph.nodes.map((x) => x.id).filter((id) => id !== n.id);
    return [...ids.map((id) => [id, id]), ["pass", C.t("policies_end_pass")], ["refuse", C.t("policies_end_refuse")]];
  }

  function settingsFields(n) {
    const s = n.settings || {};
    switch (n.kind) {
      case "endpoint_risk":
      case "number_risk": {
        const high = s.on_high || { action: "refuse" };
        const others = state.view.graph.nodes.map((x) => x.id).filter((id) => id !== n.id);
        return [
          { name: "threshold", key: "policies_threshold", value: s.threshold, type: "number", min: 0, max: 100, hint: "policies_threshold_hint" },
          { name: "on_high", key: "policies_on_high", value: high.action, options: ["captcha", "refuse", "skip_to"].map((a) => [a, C.t("policies_on_high_" + a)]) },
          { name: "base_difficulty", key: "policies_base_difficulty", value: high.base_difficulty === undefined ? 50000 : high.base_difficulty, type: "number", min: 1 },
          { name: "skip_to", key: "policies_skip_to", value: high.node || "", options: others.map((id) => [id, id]) },
        ];
      }
      case "one_click":
      case "number_check":
        return [
          { name: "timeout_ms", key: "policies_timeout_ms", value: s.timeout_ms, type: "number", min: 0 },
          { name: "on_carrier_error", key: "policies_on_carrier_error", value: s.on_carrier_error, options: ["fall_back", "refuse"].map((a) => [a, C.t("policies_carrier_error_" + a)]) },
        ];
      case "sms_code":
        return [
          { name: "sign_name", key: "policies_sign_name", value: s.sign_name },
          { name: "template_code", key: "policies_template_code", value: s.template_code },
          { name: "code_length", key: "policies_code_length", value: s.code_length, type: "number", min: 4, max: 8 },
          { name: "valid_seconds", key: "policies_valid_seconds", value: s.valid_seconds, type: "number", min: 60, max: 1800 },
        ];
      case "upstream_sms":
        return [
          { name: "service_number", key: "policies_service_number", value: s.service_number },
          { name: "text_length", key: "policies_text_length", value: s.text_length, type: "number", min: 4, max: 12 },
          { name: "wait_seconds", key: "policies_wait_seconds", value: s.wait_seconds, type: "number", min: 30, max: 900 },
        ];
      default:
        return [];
    }
  }

  // The frequency rules of a risk check: up to five rows.
  function rulesEditor(n) {
    const list = C.el("div", { id: "policies-node-rules" });
    const addRow = (r, i) => {
      const dim = C.el("select", { id: "policies-node-rule-" + i + "-dimension", className: "rule-dimension" },
        ["device", "ip", "number"].map((d) => C.el("option", { value: d, selected: d === r.dimension }, C.t("policies_dimension_" + d))));
      const max = C.el("input", { type: "number", id: "policies-node-rule-" + i + "-max", className: "rule-max", value: r.max, min: 1 });
      const win = C.el("input", { type: "number", id: "policies-node-rule-" + i + "-window", className: "rule-window", value: r.window_minutes, min: 1 });
      const row = C.el("div", { className: "inline rule" },
        C.el("label", {}, C.t("policies_rule_dimension"), dim),
        C.el("label", {}, C.t("policies_rule_max"), max),
        C.el("label", {}, C.t("policies_rule_window"), win),
        C.el("button", { type: "button", className: "link", id: "policies-node-rule-" + i + "-remove", onclick: () => row.remove() }, C.t("policies_rule_remove")));
      list.append(row);
    };
    ((n.settings || {}).frequency_rules || []).forEach(addRow);
    let next = 100;
    const add = C.el("button", { type: "button", className: "link", id: "policies-node-rule-add", onclick: () => addRow({ dimension: "device", max: 10, window_minutes: 60 }, next++) }, C.t("policies_rule_add"));
    return C.el("fieldset", {}, C.el("legend", {}, C.t("policies_rules")), C.el("p", { className: "hint" }, C.t("policies_rules_hint")), list, add);
  }

  function readRules(form) {
    return [...form.querySelectorAll(".rule")].map((row) => {
      const v = (cls) => { const raw = row.querySelector(cls).value.trim(); return /^-?\d+$/.test(raw) ? Number(raw) : raw; };
      return { dimension: row.querySelector(".rule-dimension").value, max: v(".rule-max"), window_minutes: v(".rule-window") };
    });
  }

  function readSettings(n, form) {
    const str = (name) => form.elements[name].value.trim();
    switch (n.kind) {
      case "endpoint_risk":
      case "number_risk": {
        const action = str("on_high");
        const on_high = action === "captcha" ? { action, base_difficulty: num(form, "base_difficulty") }
          : action === "skip_to" ? { action, node: str("skip_to") } : { action };
        return { threshold: num(form, "threshold"), frequency_rules: readRules(form), on_high };
      }
      case "one_click":
      case "number_check":
        return { timeout_ms: num(form, "timeout_ms"), on_carrier_error: str("on_carrier_error") };
      case "sms_code":
        return { sign_name: str("sign_name"), template_code: str("template_code"), code_length: num(form, "code_length"), valid_seconds: num(form, "valid_seconds") };
      case "upstream_sms":
        return { service_number: str("service_number"), text_length: num(form, "text_length"), wait_seconds: num(form, "wait_seconds") };
      default:
        return {};
    }
  }

  // How the node is billed, from the price list.
  function billing(n) {
    const charges = (state.view.billing || {})[n.id] || [];
    const box = C.el("div", { id: "policies-node-billing", className: "billing" }, C.el("h3", {}, C.t("policies_billing")));
    if (!charges.length) {
      box.append(C.el("p", { id: "policies-node-billing-free" }, C.t("policies_not_billed")));
      return box;
    }
    box.append(C.el("ul", {}, charges.map((c) => C.el("li", { className: "charge", dataset: { method: c.method } },
      C.t("policies_billed_" + c.basis, { item: C.t("policies_method_" + c.method), price: c.price_yuan })))));
    box.append(C.el("p", { className: "hint" }, C.t("policies_billing_hint")));
    return box;
  }

  function openNode(id) {
    const n = state.view.graph.nodes.find((x) => x.id === id);
    if (!n) { return; }
    const old = document.getElementById("policies-node-dialog");
    if (old) { old.remove(); }
    const settings = settingsFields(n);
    const isRisk = n.kind === "endpoint_risk" || n.kind === "number_risk";
    const outcomes = Object.keys(n.next || {});
    const err = C.el("p", { className: "error", id: "policies-node-error", role: "alert" });
    // The server validates (the same rules as the Open API and the CLI) and says
    // what is wrong in the dialog; the browser's own checks would only half agree.
    const form = C.el("form", { method: "dialog", id: "policies-node-form", novalidate: true },
      C.el("h2", { id: "policies-node-title" }, C.t("policies_kind_" + n.kind) + " · " + n.id),
      C.el("p", { className: "hint" }, C.t("policies_kind_hint_" + n.kind)),
      err,
      field({ name: "enabled", key: "policies_enabled", value: n.enabled, type: "checkbox" }),
      field({ name: "log", key: "policies_node_log", value: n.log, type: "checkbox" }),
      settings.length ? C.el("fieldset", {}, C.el("legend", {}, C.t("policies_settings")), settings.map(field)) : C.el("p", {}, C.t("policies_no_settings")),
      isRisk ? rulesEditor(n) : null,
      C.el("fieldset", {}, C.el("legend", {}, C.t("policies_next")),
        outcomes.map((o) => field({ name: "next-" + o, key: "policies_edge_" + o, value: n.next[o], options: targets(n) }))),
      C.el("div", { className: "actions" },
        C.el("button", { type: "submit", id: "policies-node-save" }, C.t("save")),
        C.el("button", { type: "button", id: "policies-node-restore", onclick: () => restoreNode(n, dlg, err) }, C.t("policies_restore_node")),
        C.el("button", { type: "button", id: "policies-node-cancel", onclick: () => dlg.close() }, C.t("cancel"))),
      billing(n));
    const dlg = C.el("dialog", { id: "policies-node-dialog", className: "dialog" }, form);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const next = {};
      for (const o of outcomes) { next[o] = form.elements["next-" + o].value; }
      const body = Object.assign(level(), {
        node: n.id,
        version: state.view.version,
        enabled: form.elements.enabled.checked,
        log: form.elements.log.checked,
        settings: readSettings(n, form),
        next,
      });
      await change(dlg, err, "/console/api/policies/node", body, "policies_saved");
    });
    dlg.addEventListener("close", () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
  }

  async function restoreNode(n, dlg, err) {
    await change(dlg, err, "/console/api/policies/node/restore", Object.assign(level(), { node: n.id, version: state.view.version }), "policies_node_restored");
  }

  // A change from the dialog: on success the dialog closes and the graph is
  // drawn again; a refusal is shown in the dialog, which stays open.
  async function change(dlg, err, path, body, doneKey) {
    err.textContent = "";
    try {
      state.view = await C.post(path, body);
      dlg.close();
      status(C.t(doneKey, { version: state.view.version }));
      draw();
    } catch (e) {
      err.textContent = e.message;
    }
  }

  C.start(load);
})();
