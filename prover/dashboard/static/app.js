/* global document, window, uPlot */
// The dashboard page: polls the daemon's local state every second and renders it. Read-only; every
// request carries the access token the daemon printed; nothing is fetched from anywhere else.
"use strict";

(function () {
  const token = document.body.dataset.token;
  // keep the token out of the address bar once loaded (it stays in this page's memory)
  window.history.replaceState(null, "", "/");
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };
  const charts = new Map();
  let countdown = { stale: null, deadline: null, at: 0 };

  // the same words as the CLI's fmtDuration (prover/service/units.ts)
  function duration(s) {
    if (s === null || s === undefined) return "none";
    if (s <= 0) return "now";
    const d = Math.floor(s / 86400);
    const h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = s % 60;
    if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
    if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
    return m > 0 ? (sec > 0 ? `${m} min ${sec} s` : `${m} min`) : `${sec} s`;
  }

  function rows(tbody, list, cells) {
    tbody.replaceChildren(
      ...list.map((x) => {
        const tr = el("tr");
        for (const [text, cls] of cells(x)) tr.appendChild(el("td", text, cls));
        return tr;
      }),
    );
  }

  function renderCharts(list) {
    const host = $("#charts");
    const names = new Set(list.map((c) => c.market));
    for (const [name, c] of charts) {
      if (!names.has(name)) {
        c.plot.destroy();
        c.box.remove();
        charts.delete(name);
      }
    }
    for (const c of list) {
      const flat = (v) => c.t.map(() => v);
      const data = [c.t, c.mark, flat(c.liquidation), flat(c.boxLow), flat(c.boxHigh)];
      let entry = charts.get(c.market);
      if (!entry) {
        const box = el("div", undefined, "chart");
        box.dataset.market = c.market;
        host.appendChild(box);
        const plot = new uPlot(
          {
            title: `${c.market} mark (USD)`,
            width: 460,
            height: 240,
            series: [
              {},
              { label: "mark", stroke: "#0969da", width: 2 },
              { label: "liquidation", stroke: "#b42318", dash: [6, 4] },
              { label: "box low", stroke: "#8c959f", dash: [2, 3] },
              { label: "box high", stroke: "#8c959f", dash: [2, 3] },
            ],
          },
          data,
          box,
        );
        entry = { plot, box };
        charts.set(c.market, entry);
      } else {
        entry.plot.setData(data);
      }
    }
  }

  function render(s) {
    if (!s || s.loading) return;
    const st = s.status;
    const t = s.text;
    $("#account").textContent = st.account;
    const phase = $("#phase");
    phase.textContent = t.phase;
    phase.className = `phase ${t.phase}`;
    $("#updated").textContent = `updated ${s.generatedAt.slice(11, 19)} UTC`;
    const banner = $("#banner");
    banner.hidden = !t.banner;
    banner.textContent = t.banner;
    for (const f of ["equity", "maintenance", "initial", "marginUsage", "collateralValue", "cash"]) {
      document.querySelector(`[data-field="${f}"]`).textContent = t[f];
    }
    rows($("#positions tbody"), t.positions, (p) => [
      [p.market],
      [p.side, p.side],
      [p.size],
      [p.entry],
      [p.mark],
      [p.liquidation],
      [p.distance],
      [p.pnl],
    ]);
    if (t.positions.length === 0) {
      const tr = el("tr");
      const td = el("td", "no open positions");
      td.colSpan = 8;
      tr.appendChild(td);
      $("#positions tbody").replaceChildren(tr);
    }
    rows($("#collateral tbody"), t.collateral, (c) => [[c.asset], [c.amount], [c.value], [c.maxWithdraw]]);
    renderCharts(s.charts);
    const r = s.risk;
    rows($("#risk tbody"), r ? r.horizons : [], (h) => [
      [h.horizon],
      [`${(h.probability * 100).toFixed(2)}%`],
      [`${(h.interval95[0] * 100).toFixed(2)}% .. ${(h.interval95[1] * 100).toFixed(2)}%`],
      [typeof h.portfolioSigmas === "number" ? h.portfolioSigmas.toFixed(2) : h.portfolioSigmas],
    ]);
    $("#riskModel").textContent = r
      ? `Monte Carlo, ${r.horizons[0] ? r.horizons[0].paths : 0} paths, seed ${r.seed}; volatilities: ${r.volatilities
          .map((v) => `${v.market} ${(v.annualised * 100).toFixed(0)}% (${v.source})`)
          .join(", ")}; correlation ${r.correlation}`
      : "";
    $("#history").replaceChildren(...s.history.map((h) => el("li", `${h.at.slice(11, 19)} ${h.message}`, h.level)));
    $("#alerts").replaceChildren(...s.alerts.map((a) => el("li", `${String(a.at).slice(11, 19)} ${a.event}`, "alert")));
    countdown = { stale: s.countdowns.staleInSeconds, deadline: s.countdowns.deadlineInSeconds, at: Date.now() };
    tickCountdowns();
  }

  function tickCountdowns() {
    const gone = Math.floor((Date.now() - countdown.at) / 1000);
    const left = (x) => (x === null ? null : Math.max(0, x - gone));
    $("#stale").textContent = duration(left(countdown.stale));
    $("#deadline").textContent = countdown.deadline === null ? "no challenge" : duration(left(countdown.deadline));
  }

  async function poll() {
    try {
      const res = await fetch("/api/state", { headers: { authorization: `Bearer ${token}` }, cache: "no-store" });
      if (res.ok) render(await res.json());
    } catch (e) {
      $("#updated").textContent = `the daemon does not answer (${e.message})`;
    }
  }

  poll();
  window.setInterval(poll, 1000);
  window.setInterval(tickCountdowns, 1000);
})();
