import Foundation

extension DrillReport {
    /// The report as one self-contained HTML page: the verdict, the judgements, three SVG charts (requests and
    /// errors, latency, traffic share by region) with the fault and every timeline event marked, the findings
    /// and the timeline.
    public func html() -> String {
        let escape = SVGChart.escape
        var body: [String] = []
        body.append("<h1>Drill: \(escape(scenario)) (\(escape(durability)))</h1>")
        body.append("<p class=\"verdict \(passed ? "pass" : "fail")\">\(escape(summary))</p>")
        body.append(
            "<p>Started \(escape(DrillJSON.text(startedAt))); objectives <code>\(escape(objectives))</code>.</p>"
        )
        body.append("<table><tr><th>check</th><th>measured</th><th>objective</th><th>result</th></tr>")
        for judgement in judgements {
            body.append(
                "<tr><td>\(escape(judgement.name))</td><td>\(escape(judgement.measured))</td>"
                    + "<td>\(escape(judgement.limit ?? "–"))</td>"
                    + "<td class=\"\(judgement.passed ? "pass" : "fail")\">\(judgement.passed ? "pass" : "FAIL")</td></tr>"
            )
        }
        body.append("</table>")
        body.append("<h2>Over time</h2>")
        body.append(charts().joined(separator: "\n"))
        body.append(timelineTable())
        body.append("<h2>Findings</h2>")
        body.append(findingsHTML())
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>Drill \(escape(scenario)) (\(escape(durability))): \(passed ? "PASS" : "FAIL")</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #222; }
            table { border-collapse: collapse; margin: 1em 0; }
            td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; font-size: 0.9em; }
            .verdict { font-weight: bold; padding: 0.6em; border-radius: 4px; }
            .verdict.pass { background: #e3f5e1; } .verdict.fail { background: #fbe3e1; }
            td.pass { color: #1a7f37; } td.fail { color: #c0392b; font-weight: bold; }
            svg.chart { width: 100%; height: auto; margin: 0.5em 0 1.5em; }
            .chart-title { font-size: 13px; font-weight: bold; }
            .tick, .legend { font-size: 11px; fill: #555; } .marker-label { font-size: 11px; font-weight: bold; }
            .grid { stroke: #eee; } .frame { fill: none; stroke: #bbb; }
            </style></head><body>
            \(body.joined(separator: "\n"))
            </body></html>

            """
    }

    /// The numbered markers: the fault (red), the detection (orange), every timeline event (grey).
    private var markers: [(marker: SVGChart.Marker, event: DrillEvent)] {
        var result: [(SVGChart.Marker, DrillEvent)] = []
        if let fault {
            result.append(
                (
                    SVGChart.Marker(
                        time: fault.time, label: "fault", title: "fault: \(fault.name) \(fault.detail)",
                        color: "#c0392b"), fault
                ))
        }
        if let detection = measures.detectionSeconds, let faultTime = measures.faultTime {
            let event = DrillEvent(time: faultTime + detection, name: "detected", detail: "region declared down")
            result.append((SVGChart.Marker(time: event.time, label: "D", title: "detected", color: "#d35400"), event))
        }
        for (index, event) in timeline.enumerated() {
            result.append(
                (
                    SVGChart.Marker(
                        time: event.time, label: "\(index + 1)", title: "\(event.name) \(event.detail)", color: "#555"),
                    event
                ))
        }
        return result
    }

    private func charts() -> [String] {
        let seconds = measures.seconds
        let markers = markers.map(\.marker)
        let requests = SVGChart(
            title: "Requests per second (by the second they were sent)", unit: "", seconds: seconds.count,
            series: [
                .init(name: "ok", color: "#2e86de", values: seconds.map { Double($0.requests.ok) }),
                .init(name: "failed", color: "#c0392b", values: seconds.map { Double($0.requests.failed) }),
                .init(
                    name: "indeterminate", color: "#8e44ad", values: seconds.map { Double($0.requests.indeterminate) }),
                .init(name: "shed", color: "#f39c12", values: seconds.map { Double($0.requests.shed) }),
            ], markers: markers)
        let errorRate = SVGChart(
            title: "Error rate (failed and indeterminate per request sent)", unit: "%", seconds: seconds.count,
            series: [
                .init(
                    name: "error rate", color: "#c0392b",
                    values: seconds.map { $0.requests.sent == 0 ? nil : $0.requests.errorRate * 100 })
            ], markers: markers, yMax: 100)
        let latency = SVGChart(
            title: "Latency of successful requests (HDR histogram per second)", unit: "ms", seconds: seconds.count,
            series: [
                .init(name: "p50", color: "#27ae60", values: seconds.map { $0.requests.latency?.p50 }),
                .init(name: "p99", color: "#d35400", values: seconds.map { $0.requests.latency?.p99 }),
                .init(name: "max", color: "#999999", values: seconds.map { $0.requests.latency?.max }),
            ], markers: markers)
        let regions = Array(Set(seconds.flatMap { $0.requests.regions.keys })).sorted()
        let palette = ["#2e86de", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#7f8c8d", "#c0392b"]
        let share = SVGChart(
            title: "Traffic share by serving region", unit: "%", seconds: seconds.count,
            series: regions.enumerated().map { index, region in
                .init(
                    name: region, color: palette[index % palette.count],
                    values: seconds.map { second in
                        let answered = second.requests.regions.values.reduce(0, +)
                        return answered == 0
                            ? nil : Double(second.requests.regions[region] ?? 0) * 100 / Double(answered)
                    })
            }, markers: markers, stacked: true, yMax: 100)
        return [requests.render(), errorRate.render(), latency.render(), share.render()]
    }

    private func timelineTable() -> String {
        let escape = SVGChart.escape
        let rows = markers.map { marker, event in
            "<tr><td>\(escape(marker.label))</td><td>\(DrillReport.seconds(event.time))</td>"
                + "<td>\(escape(event.name))</td><td>\(escape(event.detail))</td></tr>"
        }
        guard !rows.isEmpty else { return "" }
        return "<h2>Timeline</h2>\n<table><tr><th>mark</th><th>time</th><th>event</th><th>detail</th></tr>\n"
            + rows.joined(separator: "\n") + "\n</table>"
    }

    private func findingsHTML() -> String {
        let escape = SVGChart.escape
        var html = [
            "<p>\(check.acknowledgedWrites) acknowledged writes, \(check.indeterminateWrites) of unknown outcome "
                + "(counted as maybe); \(check.accountsChecked) accounts checked.</p>", "<ul>",
        ]
        let groups: [(String, [Finding])] = [
            ("Lost acknowledged writes", check.lostWrites), ("Resurrections", check.resurrections),
            ("Duplicates", check.duplicates), ("Read-your-writes failures", check.readYourWritesFailures),
            ("Writes accepted by a fenced primary", check.fencedWrites), ("Inconclusive", check.inconclusive),
        ]
        for (title, findings) in groups {
            html.append("<li>\(escape(title)): \(findings.isEmpty ? "none" : "\(findings.count)")")
            if !findings.isEmpty {
                html.append("<ul>")
                for finding in findings.prefix(200) {
                    let when = finding.time.map { " at \(DrillReport.seconds($0))" } ?? ""
                    html.append(
                        "<li>\(escape(finding.email.map { "\($0) " } ?? ""))\(escape(finding.detail))\(when)</li>")
                }
                html.append("</ul>")
            }
            html.append("</li>")
        }
        html.append("</ul>")
        return html.joined(separator: "\n")
    }
}
