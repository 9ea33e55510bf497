// The overview: today's and 30 days' attempts and success rates per method, as
// cards and stacked bar charts (SVG drawn here), and the API & SDK area.
"use strict";
(function () {
  const C = window.numgateConsole;
  const el = C.el;

  function rate(r) { return r === null || r === undefined ? "—" : r.toFixed(1) + "%"; }

  function card(m) {
    const id = m.method;
    return el("div", { className: "panel stat", id: "card-" + id },
      el("h3", {}, C.t("method_" + id)),
      el("p", { className: "big" }, el("span", { id: "today-" + id + "-attempts" }, m.today.attempts), " ", C.t("overview_attempts")),
      el("p", {}, C.t("overview_success_rate"), ": ", el("span", { id: "today-" + id + "-rate" }, rate(m.today.rate))),
      el("p", { className: "hint" }, C.t("overview_30_total"), ": ",
        el("span", { id: "total-" + id + "-attempts" }, m.total.attempts), " · ",
        el("span", { id: "total-" + id + "-rate" }, rate(m.total.rate))));
  }

  // Stacked bars per day: success, fail, unknown; each bar carries its counts.
  function chart(m) {
    const W = 540, H = 170, left = 36, bottom = 22, top = 10;
    const n = m.days.length;
    const max = Math.max(1, ...m.days.map((d) => d.success + d.fail + d.unknown));
    const step = (W - left - 8) / n;
    const bw = Math.max(2, step * 0.7);
    const y = (v) => top + (H - top - bottom) * (1 - v / max);
    const svg = el("svg", { className: "chart", id: "chart-" + m.method, viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img",
      "aria-label": C.t("method_" + m.method) });
    svg.append(el("line", { x1: left, y1: y(0), x2: W - 4, y2: y(0), stroke: "#b7c2cf" }));
    svg.append(el("text", { x: 4, y: y(max) + 4 }, max));
    svg.append(el("text", { x: 4, y: y(0) }, 0));
    m.days.forEach((d, i) => {
      const x = left + i * step;
      const g = el("g", { className: "day", dataset: { day: d.day, success: d.success, fail: d.fail, unknown: d.unknown, attempts: d.success + d.fail + d.unknown } },
        el("title", {}, d.day + " — " + C.t("overview_success") + " " + d.success + ", " + C.t("overview_fail") + " " + d.fail + ", " + C.t("overview_unknown") + " " + d.unknown));
      let base = 0;
      for (const [key, cls] of [["success", "bar"], ["fail", "bar fail"], ["unknown", "bar unknown"]]) {
        const v = d[key];
        if (v > 0) {
          g.append(el("rect", { className: cls, x, width: bw, y: y(base + v), height: y(base) - y(base + v) }));
          base += v;
        }
      }
      // A transparent hit area, so that days without attempts show their tooltip too.
      g.append(el("rect", { x, width: bw, y: top, height: H - top - bottom, fill: "transparent" }));
      svg.append(g);
      // A date under every seventh day, counting back from today.
      if ((n - 1 - i) % 7 === 0) {
        const last = i === n - 1;
        svg.append(el("text", { x: last ? x + bw : x, y: H - 6, "text-anchor": last ? "end" : "start" }, d.day.slice(5)));
      }
    });
    return el("figure", { className: "chart-box" }, el("figcaption", {}, C.t("method_" + m.method)), svg);
  }

  async function draw() {
    const data = await C.get("/console/api/overview");
    const cards = document.getElementById("overview-cards");
    const charts = document.getElementById("overview-charts");
    cards.replaceChildren(...data.methods.map(card));
    charts.replaceChildren(...data.methods.map(chart));
    const endpoint = window.location.host;
    document.getElementById("api-endpoint").textContent = endpoint;
    document.getElementById("sdk-snippet").textContent =
      "from alibabacloud_dypnsapi20170525.client import Client\n" +
      "from alibabacloud_tea_openapi.models import Config\n\n" +
      "client = Client(Config(access_key_id=\"…\", access_key_secret=\"…\",\n" +
      "                       endpoint=\"" + endpoint + "\", protocol=\"" + window.location.protocol.replace(":", "") + "\"))";
  }

  C.start(draw);
})();
