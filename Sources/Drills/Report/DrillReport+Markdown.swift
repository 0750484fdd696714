import Foundation

extension DrillReport {
    /// The report as Markdown: the summary line, the judgements, the findings one by one, the timeline and
    /// the per-second table.
    public func markdown() -> String {
        var lines: [String] = []
        lines.append("# Drill: \(scenario) (\(durability))")
        lines.append("")
        lines.append("**\(summary)**")
        lines.append("")
        lines.append("Started \(DrillJSON.text(startedAt)); objectives `\(objectives)`.")
        lines.append("")
        lines.append("| check | measured | objective | result |")
        lines.append("| --- | --- | --- | --- |")
        for judgement in judgements {
            lines.append(
                "| \(judgement.name) | \(judgement.measured) | \(judgement.limit ?? "–") | "
                    + "\(judgement.passed ? "pass" : "**FAIL**") |")
        }
        lines.append("")
        lines += requestsSection()
        lines += findingsSection()
        lines += timelineSection()
        lines += secondsSection()
        return lines.joined(separator: "\n") + "\n"
    }

    /// The summary lines of several scenarios (`drctl drill --scenario all`), and how many passed, as Markdown.
    public static func overview(_ reports: [DrillReport]) -> String {
        let passed = reports.count { $0.passed }
        var lines = ["# Drills: \(passed) of \(reports.count) passed", ""]
        lines += reports.map { "- \($0.summary)" }
        return lines.joined(separator: "\n") + "\n"
    }

    private func requestsSection() -> [String] {
        var lines = ["## Requests", ""]
        let total = measures.total
        lines.append(
            "\(total.sent) sent, \(total.ok) ok, \(total.failed) failed, \(total.indeterminate) indeterminate, "
                + "\(total.shed) shed by the client; error rate \(Self.percent(total.errorRate)).")
        if let latency = total.latency {
            lines.append(
                "Latency of successes: p50 \(Self.ms(latency.p50)), p99 \(Self.ms(latency.p99)), "
                    + "max \(Self.ms(latency.max)).")
        }
        let shares = measures.regionShare.sorted { $0.key < $1.key }.map { "\($0.key) \(Self.percent($0.value))" }
        if !shares.isEmpty { lines.append("Served by: \(shares.joined(separator: ", ")).") }
        if !replicationLagBeforeFault.isEmpty {
            let lags = replicationLagBeforeFault.sorted { $0.key < $1.key }.map {
                "\($0.key) \(Self.seconds($0.value))"
            }
            lines.append("Replication lag before the fault: \(lags.joined(separator: ", ")).")
        }
        lines.append("")
        lines.append("| operation | sent | ok | failed | indeterminate | shed | p50 | p99 | max |")
        lines.append("| --- | --: | --: | --: | --: | --: | --: | --: | --: |")
        for kind in OperationKind.allCases {
            guard let counts = measures.byOperation[kind.rawValue] else { continue }
            let latency = counts.latency
            lines.append(
                "| \(kind.rawValue) | \(counts.sent) | \(counts.ok) | \(counts.failed) | \(counts.indeterminate) | "
                    + "\(counts.shed) | \(latency.map { Self.ms($0.p50) } ?? "–") | "
                    + "\(latency.map { Self.ms($0.p99) } ?? "–") | \(latency.map { Self.ms($0.max) } ?? "–") |")
        }
        lines.append("")
        return lines
    }

    private func findingsSection() -> [String] {
        var lines = ["## Findings", ""]
        lines.append(
            "\(check.acknowledgedWrites) acknowledged writes, \(check.indeterminateWrites) of unknown outcome "
                + "(counted as maybe); \(check.accountsChecked) accounts checked.")
        if let window = check.lostWriteWindow {
            lines.append(
                "Lost writes span \(Self.seconds(window.length)), from \(Self.seconds(window.start)) "
                    + "to \(Self.seconds(window.end)).")
        }
        lines.append("")
        let groups: [(String, [Finding])] = [
            ("Lost acknowledged writes", check.lostWrites), ("Resurrections", check.resurrections),
            ("Duplicates", check.duplicates), ("Read-your-writes failures", check.readYourWritesFailures),
            ("Writes accepted by a fenced primary", check.fencedWrites), ("Inconclusive", check.inconclusive),
        ]
        for (title, findings) in groups {
            lines.append("- \(title): \(findings.isEmpty ? "none" : "\(findings.count)")")
            for finding in findings.prefix(200) {
                let when = finding.time.map { " at \(Self.seconds($0))" } ?? ""
                lines.append("  - \(finding.email.map { "`\($0)` " } ?? "")\(finding.detail)\(when)")
            }
            if findings.count > 200 { lines.append("  - … and \(findings.count - 200) more (see report.json)") }
        }
        lines.append("")
        return lines
    }

    private func timelineSection() -> [String] {
        var events = timeline
        if let fault {
            events.append(DrillEvent(time: fault.time, name: "fault: \(fault.name)", detail: fault.detail))
        }
        if let detection = measures.detectionSeconds, let faultTime = measures.faultTime {
            events.append(DrillEvent(time: faultTime + detection, name: "detected", detail: ""))
        }
        guard !events.isEmpty else { return [] }
        var lines = ["## Timeline", "", "| time | event | detail |", "| --: | --- | --- |"]
        for event in events.sorted(by: { $0.time < $1.time }) {
            lines.append("| \(Self.seconds(event.time)) | \(event.name) | \(event.detail) |")
        }
        lines.append("")
        return lines
    }

    private func secondsSection() -> [String] {
        var lines = [
            "## Per second", "", "| s | sent | ok | errors | error rate | shed | p50 | p99 | max | regions |",
            "| --: | --: | --: | --: | --: | --: | --: | --: | --: | --- |",
        ]
        for second in measures.seconds {
            let counts = second.requests
            let latency = counts.latency
            let regions = counts.regions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            lines.append(
                "| \(second.second) | \(counts.sent) | \(counts.ok) | \(counts.errors) | "
                    + "\(Self.percent(counts.errorRate)) | \(counts.shed) | \(latency.map { Self.ms($0.p50) } ?? "–") | "
                    + "\(latency.map { Self.ms($0.p99) } ?? "–") | \(latency.map { Self.ms($0.max) } ?? "–") | "
                    + "\(regions.joined(separator: ", ")) |")
        }
        lines.append("")
        return lines
    }

    static func percent(_ fraction: Double) -> String {
        String(format: "%.1f%%", fraction * 100)
    }

    static func ms(_ milliseconds: Double) -> String {
        milliseconds < 10 ? String(format: "%.2fms", milliseconds) : String(format: "%.0fms", milliseconds)
    }

    static func seconds(_ seconds: Double) -> String { String(format: "%.2fs", seconds) }
}
