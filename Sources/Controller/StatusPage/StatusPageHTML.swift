/// The status page and its login form: one self-contained document each (no script, style or font from
/// anywhere else), the page's inline script and style allowed by a per-response nonce.
enum StatusPageHTML {
    static func page(nonce: String) -> String {
        template.replacingOccurrences(of: "NONCE", with: nonce)
    }

    /// The login form; `message` says why the last attempt failed.
    static func login(message: String?) -> String {
        loginTemplate.replacingOccurrences(of: "MESSAGE", with: message.map { "<p><strong>\($0)</strong></p>\n" } ?? "")
    }

    private static let loginTemplate = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Sign in: CustomerPortal control plane</title>
        </head>
        <body>
        <main>
        <h1>CustomerPortal control plane</h1>
        <p>This page needs the control plane's token. <code>drctl ui</code> prints a link that carries it.</p>
        MESSAGE<form method="post" action="/ui/login">
        <label>Token <input name="token" type="password" autocomplete="current-password" required></label>
        <button type="submit">Sign in</button>
        </form>
        </main>
        </body>
        </html>
        """#

    private static let template = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>CustomerPortal control plane</title>
        <style nonce="NONCE">
        :root { --fg:#1b1f24; --muted:#5b6470; --line:#d5dae0; --bg:#f6f7f9; --card:#fff; --ok:#1a7f37; --warn:#9a6700; --bad:#cf222e; --info:#0969da; }
        * { box-sizing: border-box; }
        body { margin:0; font:14px/1.4 system-ui, sans-serif; color:var(--fg); background:var(--bg); }
        header { display:flex; flex-wrap:wrap; gap:.5rem 1.5rem; align-items:baseline; padding:.75rem 1rem; background:var(--card); border-bottom:1px solid var(--line); }
        header h1 { font-size:1.1rem; margin:0; }
        main { display:grid; grid-template-columns:repeat(auto-fit, minmax(340px, 1fr)); gap:1rem; padding:1rem; }
        section { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:.75rem 1rem; min-width:0; }
        section.wide { grid-column:1 / -1; }
        h2 { font-size:1rem; margin:0 0 .5rem; }
        #regions { display:grid; grid-template-columns:repeat(auto-fit, minmax(260px, 1fr)); gap:.75rem; }
        .region { border:2px solid var(--line); border-radius:6px; padding:.5rem .75rem; }
        .region[data-primary="true"] { border-color:var(--info); }
        .region h3 { margin:0; font-size:1rem; display:flex; justify-content:space-between; gap:.5rem; }
        .role { font-weight:700; letter-spacing:.04em; }
        .state-ok { color:var(--ok); } .state-warn { color:var(--warn); } .state-bad { color:var(--bad); } .state-none { color:var(--muted); }
        dl { display:grid; grid-template-columns:max-content 1fr; gap:.1rem .75rem; margin:.4rem 0; }
        dt { color:var(--muted); } dd { margin:0; overflow-wrap:anywhere; }
        table { border-collapse:collapse; width:100%; } th, td { text-align:left; padding:.2rem .4rem; border-bottom:1px solid var(--line); vertical-align:top; }
        th { color:var(--muted); font-weight:600; }
        ol.steps { list-style:none; padding:0; margin:.4rem 0; display:flex; flex-wrap:wrap; gap:.4rem; }
        ol.steps li { border:1px solid var(--line); border-radius:4px; padding:.15rem .5rem; }
        ol.steps li[data-state="done"] { border-color:var(--ok); } ol.steps li[data-state="current"] { border-color:var(--info); font-weight:700; }
        #timeline { list-style:none; padding:0; margin:.4rem 0; max-height:22rem; overflow:auto; font-family:ui-monospace, monospace; font-size:12px; }
        #timeline li { padding:.1rem 0; border-bottom:1px dotted var(--line); overflow-wrap:anywhere; }
        .actions { display:flex; flex-wrap:wrap; gap:.3rem; margin-top:.4rem; }
        button { font:inherit; padding:.2rem .6rem; border:1px solid var(--muted); border-radius:4px; background:var(--card); cursor:pointer; }
        code { font-family:ui-monospace, monospace; font-size:12px; background:var(--bg); padding:.1rem .3rem; border-radius:3px; overflow-wrap:anywhere; }
        .command { display:flex; gap:.3rem; align-items:center; margin:.15rem 0; }
        .charts { display:grid; grid-template-columns:repeat(auto-fit, minmax(280px, 1fr)); gap:.75rem; }
        svg { width:100%; height:auto; background:var(--bg); border-radius:4px; }
        svg text { font:10px ui-monospace, monospace; fill:var(--muted); }
        figure { margin:0; } figcaption { font-weight:600; margin-bottom:.2rem; }
        ul.legend { list-style:none; padding:0; margin:.2rem 0 0; font-size:12px; } svg.key { width:24px; height:6px; background:none; vertical-align:middle; }
        ul.votes { margin:.2rem 0; padding-left:1.2rem; }
        .muted { color:var(--muted); }
        dialog { border:1px solid var(--line); border-radius:6px; max-width:36rem; }
        input, select { font:inherit; padding:.15rem .3rem; }
        </style>
        </head>
        <body>
        <header>
          <h1>CustomerPortal control plane</h1>
          <span>connection: <strong id="connection">connecting…</strong> <span id="age" class="muted"></span></span>
          <span>primary <strong id="primary">?</strong></span>
          <span>epoch <strong id="epoch">?</strong></span>
          <span>leader <strong id="leader">?</strong> (term <span id="term">?</span>)</span>
          <span>mode <strong id="mode">?</strong></span>
          <span>write lease <strong id="lease">?</strong></span>
          <span id="sync"></span>
        </header>
        <main>
          <section class="wide"><h2>Regions</h2><div id="regions"><p class="muted">waiting for the leader…</p></div></section>
          <section><h2>Operation</h2><div id="operation"><p class="muted">none</p></div></section>
          <section><h2>Alarms</h2><table><thead><tr><th>alarm</th><th>state</th><th>reason</th></tr></thead><tbody id="alarms"></tbody></table></section>
          <section><h2>Control plane</h2><div id="control"></div><div id="modeActions" class="actions"></div><p id="actionResult" role="status"></p></section>
          <section class="wide"><h2>Last minutes</h2><div class="charts" id="charts"></div><p class="muted" id="chartNote"></p></section>
          <section class="wide"><h2>Timeline <span class="muted">(newest first)</span></h2>
            <label>filter <input id="filter" type="search" placeholder="text, region or step"></label>
            <label>kind <select id="kindFilter"><option value="">all</option></select></label>
            <ol id="timeline"></ol></section>
          <section class="wide"><h2>Drills against the objectives</h2><table><thead><tr><th>date</th><th>scenario</th><th>durability</th><th>detection</th><th>RTO write</th><th>lost</th><th>fenced</th><th>objectives</th><th>result</th></tr></thead><tbody id="drills"></tbody></table><p class="muted" id="drillNote"></p></section>
        </main>
        <dialog id="confirm"><form method="dialog">
          <p id="confirmText"></p><p>It is the same as: <code id="confirmCommand"></code></p>
          <p class="actions"><button value="cancel">Cancel</button><button value="ok" id="confirmOk">Confirm</button></p>
        </form></dialog>
        <script nonce="NONCE">
        "use strict";
        const STEPS = ["fence", "select", "promote", "repoint", "writer", "traffic", "done"];
        const CONDITION = { healthy: ["state-ok", "✔ healthy"], slow: ["state-warn", "▲ slow"], "portal-down": ["state-bad", "✖ portal down"],
          "database-down": ["state-bad", "✖ database down"], unreachable: ["state-bad", "✖ down (unreachable)"], unknown: ["state-none", "? unknown"] };
        const DASHES = ["", "6 3", "2 2", "8 3 2 3"];
        const COLOURS = ["#0969da", "#cf222e", "#1a7f37", "#8250df"];
        let settings = { actions: false, commandSuffix: "" };
        let status = null, statusAt = 0, events = [], samples = [], lastOperation = null;

        function el(tag, attributes, ...children) {
          const node = attributes && attributes.svg ? document.createElementNS(SVG, tag) : document.createElement(tag);
          for (const [key, value] of Object.entries(attributes || {})) if (key !== "svg" && value !== undefined && value !== null) node.setAttribute(key, value);
          for (const child of children) if (child !== null && child !== undefined) node.append(child);
          return node;
        }
        const SVG = "http://www.w3.org/2000/svg";
        function svgEl(tag, attributes, ...children) { return el(tag, Object.assign({ svg: true }, attributes), ...children); }
        function replace(id, ...children) { const node = document.getElementById(id); node.replaceChildren(...children); return node; }
        function text(id, value) { document.getElementById(id).textContent = value; }
        function bytes(n) { if (n === null || n === undefined) return "?"; if (n < 1024) return n + " B"; if (n < 1 << 20) return (n / 1024).toFixed(1) + " KiB"; return (n / (1 << 20)).toFixed(1) + " MiB"; }
        function seconds(s) { return s === null || s === undefined ? "?" : s.toFixed(s < 10 ? 2 : 1) + " s"; }
        function command(words) { return "drctl " + words + (settings.commandSuffix ? " " + settings.commandSuffix : ""); }
        function conditionNode(condition) { const [cls, label] = CONDITION[condition] || CONDITION.unknown; return el("span", { class: cls, "data-condition": condition }, label); }

        async function act(label, words, path, body) {
          if (!settings.actions) return;
          text("confirmText", label + "?"); text("confirmCommand", command(words));
          const dialog = document.getElementById("confirm");
          dialog.returnValue = ""; dialog.showModal();
          dialog.onclose = async () => {
            if (dialog.returnValue !== "ok") return;
            const answer = await fetch(path, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "X-DRCTL-UI": "1" }, body: JSON.stringify(body) });
            let detail = "";
            try { const reply = await answer.json(); detail = reply.detail || reply.id || ""; } catch (error) { detail = ""; }
            const result = document.getElementById("actionResult");
            result.dataset.status = String(answer.status);
            result.textContent = (answer.ok ? "✔ " + label + ": accepted " : "✖ " + label + " refused (HTTP " + answer.status + "): ") + detail;
          };
        }
        function action(label, words, path, body) {
          if (settings.actions) return el("button", { type: "button", "data-command": command(words) }, label);
          const copy = el("button", { type: "button", title: "copy the command" }, "copy");
          const code = el("code", {}, command(words));
          copy.addEventListener("click", () => { navigator.clipboard ? navigator.clipboard.writeText(code.textContent) : window.getSelection().selectAllChildren(code); });
          return el("span", { class: "command", "data-command": command(words) }, code, copy);
        }
        function wire(node, label, words, path, body) { if (settings.actions && node.tagName === "BUTTON") node.addEventListener("click", () => act(label, words, path, body)); return node; }
        function actionNode(label, words, path, body) { return wire(action(label, words, path, body), label, words, path, body); }

        function renderStatus() {
          if (!status) return;
          text("primary", status.primary); text("epoch", status.epoch); text("leader", status.leader); text("term", status.term); text("mode", status.mode);
          text("lease", status.lease.holder ? status.lease.holder + " (" + status.lease.remainingMilliseconds + " ms left of " + status.lease.durationMilliseconds + ")" : "none (fenced)");
          text("sync", status.synchronousCommitSuspended ? "⚠ RPO 0 suspended" : "");
          const cards = status.regions.map((region) => {
            const primary = region.name === status.primary;
            const notes = [];
            if (region.drained) notes.push("drained");
            if (region.awaitingRejoin) notes.push("awaiting rejoin");
            if (region.readOnly) notes.push("read-only");
            const votes = Object.entries(region.votes).sort().map(([vantage, condition]) => el("li", {}, vantage + ": ", conditionNode(condition)));
            const actions = el("div", { class: "actions" });
            if (!primary) {
              actions.append(actionNode("Fail over to " + region.name, "failover --to " + region.name, "/v1/failover", { to: region.name }));
              actions.append(actionNode("Switch over to " + region.name, "switchover --to " + region.name, "/v1/switchover", { to: region.name }));
            }
            actions.append(region.drained
              ? actionNode("Undrain " + region.name, "undrain " + region.name, "/v1/drain", { region: region.name, drained: false })
              : actionNode("Drain " + region.name, "drain " + region.name, "/v1/drain", { region: region.name, drained: true }));
            return el("article", { class: "region", "data-region": region.name, "data-role": region.role, "data-primary": String(primary), "data-condition": region.condition, "data-drained": String(region.drained) },
              el("h3", {}, el("span", {}, region.name), el("span", { class: "role" }, (primary ? "★ " : "") + region.role.toUpperCase())),
              el("p", {}, "health: ", conditionNode(region.condition), el("span", { class: "muted" }, " (quorum " + region.quorum + ")")),
              el("ul", { class: "votes" }, ...votes),
              el("dl", {},
                el("dt", {}, "lag"), el("dd", {}, primary ? "— (primary)" : bytes(region.lagBytes) + ", " + seconds(region.lagSeconds)),
                el("dt", {}, "traffic dial"), el("dd", {}, region.dial === null || region.dial === undefined ? "?" : region.dial + " %"),
                el("dt", {}, "write lease"), el("dd", {}, status.lease.holder === region.name ? "held, " + status.lease.remainingMilliseconds + " ms left" : primary ? "not granted (fenced)" : "—"),
                el("dt", {}, "notes"), el("dd", {}, notes.join(", ") || "—")),
              actions);
          });
          replace("regions", ...cards);
          replace("alarms", ...status.alarms.map((alarm) => el("tr", { "data-alarm": alarm.name, "data-state": alarm.state },
            el("td", {}, alarm.name), el("td", { class: alarm.state === "OK" ? "state-ok" : alarm.state === "ALARM" ? "state-bad" : "state-none" }, alarm.state === "ALARM" ? "✖ ALARM" : alarm.state === "OK" ? "✔ OK" : "? " + alarm.state), el("td", {}, alarm.reason))));
          const now = Date.now();
          replace("control",
            el("p", {}, "replicas: ", ...status.controllers.map((c) => el("span", { "data-replica": c.region }, c.region + (c.leader ? " ★leader" : "") + " (heard " + Math.max(0, (now - Date.parse(c.heardAt)) / 1000).toFixed(0) + " s ago)  "))),
            el("p", {}, "etcd members: ", ...status.etcd.map((m) => el("span", { class: m.healthy ? "state-ok" : "state-bad" }, (m.healthy ? "✔ " : "✖ ") + m.endpoint + "  "))),
            el("p", { class: "muted" }, "page served by the " + settings.replica + " replica; promotions so far: " + status.promotions));
          const next = status.mode === "automatic" ? "manual" : "automatic";
          replace("modeActions", actionNode("Switch to " + next + " mode", "mode " + next, "/v1/mode", { mode: next }));
          if (status.operation) lastOperation = status.operation;
          renderOperation();
        }

        // The newest operation as the timeline tells it: one that started and finished between two status pushes
        // (a quick failover takes a quarter of a second) is never in a status.
        function operationFromTimeline() {
          const last = [...events].reverse().find((e) => e.operation);
          if (!last) return null;
          const own = events.filter((e) => e.operation === last.operation);
          const started = own.find((e) => e.kind.endsWith("-started") && e.kind !== "step-started");
          const finished = own.find((e) => /^(failover|switchover|rejoin)-finished$/.test(e.kind));
          const promoted = own.find((e) => e.kind === "promoted");
          return {
            id: last.operation, kind: (started || finished || last).kind.split("-")[0],
            from: started && started.region || "?", to: (promoted || finished || {}).region || null, force: false,
            step: finished ? "done" : (own.filter((e) => e.step).pop() || { step: "fence" }).step,
            startedAt: own[0].time, trigger: "", finished: !!finished };
        }

        function renderOperation() {
          const fromTimeline = operationFromTimeline();
          const seen = status && status.operation || lastOperation;
          const operation = fromTimeline && (!seen || seen.id !== fromTimeline.id) ? fromTimeline : seen;
          if (!operation) { replace("operation", el("p", { class: "muted" }, "none")); return; }
          const running = operation === fromTimeline ? !fromTimeline.finished
            : !!(status && status.operation && status.operation.id === operation.id);
          const current = running ? operation.step : "done";
          const stepEvents = events.filter((e) => e.operation === operation.id && e.step);
          const start = Date.parse(operation.startedAt);
          const items = STEPS.map((step) => {
            const index = STEPS.indexOf(step), at = STEPS.indexOf(current);
            const state = index < at || (step === "done" && !running) ? "done" : index === at ? "current" : "pending";
            const seen = stepEvents.find((e) => e.step === step);
            const mark = state === "done" ? "✔ " : state === "current" ? "▶ " : "○ ";
            return el("li", { "data-step": step, "data-state": state }, mark + step + (seen ? " +" + ((Date.parse(seen.time) - start) / 1000).toFixed(1) + " s" : "") + (state === "current" ? " (running)" : ""));
          });
          replace("operation",
            el("p", { "data-operation": operation.id, "data-running": String(running) }, operation.kind + " " + operation.from + " → " + (operation.to || "?") + (operation.force ? " (forced)" : "") + (operation.trigger ? ", started " + operation.trigger : "") + (running ? "" : " — finished")),
            el("ol", { class: "steps" }, ...items));
        }

        function renderTimeline() {
          const filter = document.getElementById("filter").value.toLowerCase(), kind = document.getElementById("kindFilter").value;
          const shown = [];
          for (let i = events.length - 1; i >= 0 && shown.length < 300; i--) {
            const e = events[i];
            const line = new Date(e.time).toISOString().slice(11, 23) + " " + e.kind + (e.region ? " " + e.region : "") + (e.step ? " [" + e.step + "]" : "") + " — " + e.message;
            if (kind && e.kind !== kind) continue;
            if (filter && !line.toLowerCase().includes(filter)) continue;
            shown.push(el("li", { "data-kind": e.kind, "data-sequence": e.sequence, "data-step": e.step || "", "data-operation": e.operation || "" }, line));
          }
          replace("timeline", ...shown);
          const kinds = [...new Set(events.map((e) => e.kind))].sort();
          const select = document.getElementById("kindFilter");
          if (select.options.length - 1 !== kinds.length) {
            const chosen = select.value;
            select.replaceChildren(el("option", { value: "" }, "all"), ...kinds.map((k) => el("option", { value: k }, k)));
            select.value = chosen;
          }
        }

        function chart(title, unit, pick) {
          const width = 320, height = 90, pad = 4;
          const regions = status ? status.regions.map((r) => r.name) : [];
          const end = Date.now(), begin = end - 300000;
          let max = 0;
          for (const s of samples) for (const r of regions) { const v = pick(s.regions[r]); if (v > max) max = v; }
          max = max > 0 ? max * 1.15 : 1;
          const x = (t) => pad + (width - 2 * pad) * (t - begin) / (end - begin), y = (v) => height - 14 - (height - 28) * v / max;
          const digits = unit === "s" ? 2 : 1;
          const lines = [], legend = [];
          regions.forEach((region, index) => {
            const colour = COLOURS[index % COLOURS.length], dash = DASHES[index % DASHES.length] || null;
            const points = samples.map((s) => [Date.parse(s.time), pick(s.regions[region])]).filter(([t, v]) => t >= begin && v !== null && v !== undefined);
            const last = points.length ? points[points.length - 1][1] : null;
            lines.push(svgEl("polyline", { points: points.map(([t, v]) => x(t).toFixed(1) + "," + y(v).toFixed(1)).join(" "), fill: "none", stroke: colour, "stroke-width": 1.5, "stroke-dasharray": dash }));
            legend.push(el("li", { "data-region": region },
              svgEl("svg", { viewBox: "0 0 24 6", class: "key" }, svgEl("line", { x1: 0, x2: 24, y1: 3, y2: 3, stroke: colour, "stroke-width": 2, "stroke-dasharray": dash })),
              " " + region + ": " + (last === null ? "–" : last.toFixed(digits) + " " + unit)));
          });
          return el("figure", { "data-chart": title },
            el("figcaption", {}, title + " ", el("span", { class: "muted" }, "(scale 0–" + max.toFixed(digits) + " " + unit + ")")),
            svgEl("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": title },
              svgEl("line", { x1: pad, x2: width - pad, y1: height - 14, y2: height - 14, stroke: "#d5dae0" }),
              svgEl("text", { x: pad, y: height - 3 }, "−5 min"), svgEl("text", { x: width - pad - 18, y: height - 3 }, "now"), ...lines),
            el("ul", { class: "legend" }, ...legend));
        }
        function renderCharts() {
          const hasRequests = samples.some((s) => Object.values(s.regions).some((r) => r.requestsPerSecond !== undefined && r.requestsPerSecond !== null));
          replace("charts", chart("replication lag", "s", (r) => r && r.lagSeconds), chart("requests through the edge", "/s", (r) => r && r.requestsPerSecond), chart("server errors (5xx)", "/s", (r) => r && r.errorsPerSecond));
          text("chartNote", samples.length ? "every 2 s since this replica's page was first opened" + (hasRequests ? "" : "; this deployment reports no request counts") : "no samples yet");
        }

        function renderDrills(records) {
          text("drillNote", records.length > 12 ? "the newest 12 of " + records.length + " drills; the runbook lists them all" : "");
          replace("drills", ...records.slice(-12).reverse().map((d) => el("tr", { "data-scenario": d.scenario },
            el("td", {}, d.date.slice(0, 10)), el("td", {}, d.scenario), el("td", {}, d.durability), el("td", {}, seconds(d.detectionSeconds)), el("td", {}, seconds(d.rtoWriteSeconds)),
            el("td", {}, String(d.lostWrites)), el("td", {}, String(d.fencedWrites)), el("td", {}, d.objectives), el("td", { class: d.passed ? "state-ok" : "state-bad" }, d.passed ? "✔ met" : "✖ missed"))));
          if (!records.length) replace("drills", el("tr", {}, el("td", { colspan: 9, class: "muted" }, "no drill recorded")));
        }

        const source = new EventSource("/ui/stream");
        source.onopen = () => { text("connection", "live"); };
        source.onerror = () => { text("connection", "reconnecting…"); };
        source.addEventListener("settings", (m) => { settings = JSON.parse(m.data); renderStatus(); });
        source.addEventListener("drills", (m) => renderDrills(JSON.parse(m.data)));
        source.addEventListener("status", (m) => { status = JSON.parse(m.data); statusAt = Date.now(); text("connection", "live"); renderStatus(); renderCharts(); });
        source.addEventListener("unavailable", () => { text("connection", "no leader answers (an election runs?)"); });
        source.addEventListener("timeline", (m) => {
          const event = JSON.parse(m.data);
          if (events.length && events[events.length - 1].sequence >= event.sequence) return;
          events.push(event); if (events.length > 2000) events.shift();
          scheduleTimeline();
        });
        source.addEventListener("samples", (m) => { samples = samples.concat(JSON.parse(m.data)).filter((s) => Date.parse(s.time) > Date.now() - 300000); renderCharts(); });
        let timelinePending = false;
        function scheduleTimeline() { if (timelinePending) return; timelinePending = true; setTimeout(() => { timelinePending = false; renderTimeline(); renderOperation(); }, 50); }
        document.getElementById("filter").addEventListener("input", renderTimeline);
        document.getElementById("kindFilter").addEventListener("change", renderTimeline);
        setInterval(() => { text("age", statusAt ? "(updated " + ((Date.now() - statusAt) / 1000).toFixed(0) + " s ago)" : ""); }, 1000);
        </script>
        </body>
        </html>
        """#
}
