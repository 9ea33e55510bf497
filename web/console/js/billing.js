// The billing page: the price list, resource plans and what remains of them
// (an operator may add one), and a month's bill per method, scheme and scene.
// Helpers in console.js.
"use strict";
(function () {
  const C = window.numgateConsole;
  const $ = (id) => document.getElementById(id);
  const method = (m) => C.t("billing_method_" + m);

  async function drawPrices() {
    const d = await C.get("/console/api/billing/prices");
    $("billing-prices").replaceChildren(C.table("billing-prices-table", [
      { key: "billing_method", cell: (p) => method(p.method) },
      { key: "billing_unit", cell: (p) => C.t("billing_unit_" + p.method) },
      { key: "billing_price", cell: (p) => C.el("span", { className: "mono", id: "billing-price-" + p.method }, p.price) },
    ], d.prices));
  }

  async function drawPlans() {
    const d = await C.get("/console/api/billing/plans");
    $("billing-left").replaceChildren(C.el("p", {}, C.t("billing_left_now") + " ",
      d.left.flatMap((l, i) => [i ? " · " : "", method(l.method) + ": ",
        C.el("strong", { id: "billing-left-" + l.method }, String(l.units))])));
    $("billing-plans").replaceChildren(C.table("billing-plans-table", [
      { key: "billing_plan_id", cell: (p) => String(p.id) },
      { key: "billing_method", cell: (p) => method(p.method) },
      { key: "billing_total", cell: (p) => String(p.total) },
      { key: "billing_used", cell: (p) => C.el("span", { id: "billing-plan-used-" + p.id }, String(p.used)) },
      { key: "billing_remaining", cell: (p) => C.el("strong", { id: "billing-plan-left-" + p.id }, String(p.left)) },
      { key: "billing_valid", cell: (p) => p.from + " – " + p.until },
      { key: "billing_state", cell: (p) => C.el("span", { className: p.valid_now ? "tag" : "tag off" },
        C.t(p.valid_now ? "billing_valid_now" : "billing_not_valid")) },
    ], d.plans));
    $("billing-add-plan").hidden = !d.may_add;
  }

  async function drawBill(month) {
    const d = await C.get("/console/api/billing/bill" + (month ? "?month=" + encodeURIComponent(month) : ""));
    $("billing-month").value = d.month.slice(0, 4) + "-" + d.month.slice(4);
    $("billing-bill").replaceChildren(C.table("billing-bill-table", [
      { key: "billing_method", cell: (l) => method(l.method) },
      { key: "billing_scheme", cell: (l) => C.el("span", { className: "mono" }, l.scheme) },
      { key: "billing_scheme_name", cell: (l) => [l.scheme_name, l.app_name ? " · " + l.app_name : ""].join("") },
      { key: "billing_scene", cell: (l) => l.scene || "–" },
      { key: "billing_units", cell: (l) => String(l.units) },
      { key: "billing_plan_units", cell: (l) => String(l.plan_units) },
      { key: "billing_paid_units", cell: (l) => String(l.paid_units) },
      { key: "billing_price", cell: (l) => C.el("span", { className: "mono" }, l.unit_price) },
      { key: "billing_amount", cell: (l) => C.el("span", { className: "mono" }, l.amount) },
    ], d.lines));
    $("billing-sum").textContent = d.amount_sum;
  }

  async function addPlan() {
    const v = await C.dialog("billing-plan-dialog", "billing_add_plan", [
      { name: "method", key: "billing_method", value: "one_click",
        options: ["one_click", "number_check", "sms", "fusion"].map((m) => [m, method(m)]) },
      { name: "count", key: "billing_count", type: "number", min: 1, required: true },
      { name: "from", key: "billing_from", type: "date", required: true },
      { name: "until", key: "billing_until", type: "date", required: true },
    ]);
    if (!v) { return; }
    await C.post("/console/api/billing/plans", v);
    await drawPlans();
  }

  C.start(async () => {
    $("billing-month-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const m = $("billing-month").value.replace("-", "");
      drawBill(m).catch((e) => C.showError(e.message));
    });
    $("billing-add-plan").addEventListener("click", () => addPlan().catch((e) => C.showError(e.message)));
    await Promise.all([drawPrices(), drawPlans(), drawBill("")]);
  });
})();
