import Foundation

/// The report as one self-contained HTML page: the figures as tables, and charts of service level, queue
/// length and agents by state over the day, drawn as SVG by a small inline script from the embedded samples.
/// No network, no libraries: it opens from a file anywhere.
public enum HTMLReport {
    public static func render(_ report: SimulationReport) -> String {
        let queues = report.queues.map(\.name)
        let states = ["ready", "reserved", "busy", "wrap_up", "not_ready", "logged_out"]
        let series: [String: Any] = [
            "queues": queues,
            "states": states,
            "time": report.samples.map { round2($0.time / 3600) },
            "waiting": Dictionary(uniqueKeysWithValues: queues.map { q in (q, report.samples.map { $0.waiting[q] ?? 0 }) }),
            "sl": Dictionary(uniqueKeysWithValues: queues.map { q in
                (q, report.samples.map { sample -> Any in sample.serviceLevelPercent[q].map(round2) ?? NSNull() })
            }),
            "agents": Dictionary(uniqueKeysWithValues: states.map { s in (s, report.samples.map { $0.agentsByState[s] ?? 0 }) }),
        ]
        let data = (try? JSONSerialization.data(withJSONObject: series, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(report.scenario)) — acd-sim report</title>
            <style>
            body{font:14px system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
            table{border-collapse:collapse;margin:1em 0}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}
            th:first-child,td:first-child{text-align:left}.chart{margin:1.5em 0}.legend span{margin-right:1em}
            .model td{color:#666;font-style:italic}
            </style></head>
            <body>
            <h1>\(escape(report.scenario))</h1>
            <p>\(format(report.durationSeconds / 3600)) h simulated, warm-up \(Int(report.warmupSeconds)) s, seed \(report.seed).</p>
            <h2>Queues</h2>
            \(queueTable(report))
            <h2>Service level</h2><div class="chart" id="sl"></div>
            <h2>Contacts waiting</h2><div class="chart" id="waiting"></div>
            <h2>Agents by state</h2><div class="chart" id="agents"></div>
            <h2>By customer tier</h2>
            \(table(rows: report.tiers.map { ($0.tier, $0.figures) }))
            <h2>Agent groups</h2>
            \(groupTable(report))
            <script id="data" type="application/json">\(data)</script>
            <script>
            \(script)
            </script>
            </body></html>
            """
    }

    private static func queueTable(_ report: SimulationReport) -> String {
        var html = table(rows: report.queues.map { ($0.name + " (" + $0.serviceLevelTarget + ")", $0.figures) } + [("overall", report.overall)])
        let models = report.queues.compactMap { queue -> String? in
            guard let p = queue.prediction else { return nil }
            return "<tr class=\"model\"><td>\(escape(queue.name)): \(p.model == "erlang_c" ? "Erlang C" : "Erlang A"), \(p.agents) agents</td>"
                + "<td>\(p.serviceLevelPercent.map(format) ?? "-")</td><td>\(p.averageSpeedOfAnswerSeconds.map(format) ?? "-")</td>"
                + "<td>\(format(p.abandonPercent))</td><td>\(format(p.waitProbabilityPercent))</td><td>\(format(p.occupancyPercent))</td></tr>"
        }
        if !models.isEmpty {
            html += "<table><tr><th>queueing theory predicts</th><th>SL %</th><th>ASA s</th><th>abandoned %</th><th>waited %</th><th>occupancy %</th></tr>"
                + models.joined() + "</table>"
        }
        return html
    }

    private static func table(rows: [(String, Figures)]) -> String {
        var html = "<table><tr><th></th><th>offered</th><th>answered</th><th>abandoned</th><th>SL %</th><th>ASA s</th><th>avg wait s</th><th>p90 wait s</th><th>occupancy %</th><th>overflowed</th></tr>"
        for (name, f) in rows {
            html += "<tr><td>\(escape(name))</td><td>\(f.offered)</td><td>\(f.answered)</td><td>\(f.abandoned)</td>"
                + "<td>\(f.serviceLevelPercent.map(format) ?? "-")</td><td>\(f.averageSpeedOfAnswerSeconds.map(format) ?? "-")</td>"
                + "<td>\(f.averageWaitSeconds.map(format) ?? "-")</td><td>\(f.p90WaitSeconds.map(format) ?? "-")</td>"
                + "<td>\(f.occupancyPercent.map(format) ?? "-")</td><td>\(f.overflowedOut)</td></tr>"
        }
        return html + "</table>"
    }

    private static func groupTable(_ report: SimulationReport) -> String {
        var html = "<table><tr><th>group</th><th>agents</th><th>handled</th><th>utilization %</th><th>occupancy %</th></tr>"
        for group in Set(report.agents.map(\.group)).sorted() {
            let members = report.agents.filter { $0.group == group }
            let mean = { (value: KeyPath<AgentReport, Double>) in members.map { $0[keyPath: value] }.reduce(0, +) / Double(members.count) }
            html += "<tr><td>\(escape(group))</td><td>\(members.count)</td><td>\(members.map(\.handled).reduce(0, +))</td>"
                + "<td>\(format(mean(\.utilizationPercent)))</td><td>\(format(mean(\.occupancyPercent)))</td></tr>"
        }
        return html + "</table>"
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Line and stacked-area charts in SVG; marks the body `data-rendered` once every chart is drawn.
    private static let script = """
        const d = JSON.parse(document.getElementById('data').textContent);
        const colors = ['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf'];
        const W = 1000, H = 260, L = 50, B = 30, T = 10;
        function svg(tag, attrs) { const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
          for (const k in attrs) e.setAttribute(k, attrs[k]); return e; }
        function chart(id, names, values, stacked, yMax, unit) {
          const root = svg('svg', {width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img'});
          const n = d.time.length, xMax = Math.max(d.time[n - 1] || 1, 1e-9);
          let top = yMax;
          if (top === undefined) { top = 1;
            for (let i = 0; i < n; i++) { let s = 0; for (const k of names) { const v = values[k][i] || 0; s = stacked ? s + v : Math.max(s, v); } top = Math.max(top, s); } }
          const x = t => L + (W - L - 10) * t / xMax, y = v => H - B - (H - B - T) * v / top;
          for (let g = 0; g <= 4; g++) { const v = top * g / 4;
            root.appendChild(svg('line', {x1: L, x2: W - 10, y1: y(v), y2: y(v), stroke: '#eee'}));
            const label = svg('text', {x: L - 5, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11}); label.textContent = Math.round(v); root.appendChild(label); }
          const xl = svg('text', {x: W - 10, y: H - 8, 'text-anchor': 'end', 'font-size': 11}); xl.textContent = 'hours'; root.appendChild(xl);
          const base = new Array(n).fill(0);
          names.forEach((k, j) => {
            const pts = []; const low = base.slice();
            for (let i = 0; i < n; i++) { const v = values[k][i];
              if (v === null) continue;
              if (stacked) base[i] += v; pts.push([x(d.time[i]), y(stacked ? base[i] : v)]); }
            if (pts.length === 0) return;
            if (stacked) { let path = 'M' + pts.map(p => p.join(',')).join('L');
              for (let i = n - 1; i >= 0; i--) path += `L${x(d.time[i])},${y(low[i])}`;
              root.appendChild(svg('path', {d: path + 'Z', fill: colors[j % 10], 'fill-opacity': 0.7, stroke: 'none'})); }
            else root.appendChild(svg('polyline', {points: pts.map(p => p.join(',')).join(' '), fill: 'none', stroke: colors[j % 10], 'stroke-width': 1.5}));
          });
          const legend = document.createElement('div'); legend.className = 'legend';
          names.forEach((k, j) => { const s = document.createElement('span'); s.style.color = colors[j % 10]; s.textContent = '■ ' + k; legend.appendChild(s); });
          const host = document.getElementById(id); host.appendChild(root); host.appendChild(legend);
        }
        chart('sl', d.queues, d.sl, false, 100);
        chart('waiting', d.queues, d.waiting, false);
        chart('agents', d.states, d.agents, true);
        document.body.setAttribute('data-rendered', document.querySelectorAll('svg').length);
        """
}
