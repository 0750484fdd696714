import DRConfiguration
import Failover
import Foundation

extension RunbookBuilder {
    func drillsAndReviews() -> [RunbookBlock] {
        let review = deployment.review
        let objectives = deployment.objectives
        let records = (history ?? []).sorted { ($0.date, $0.scenario) > ($1.date, $1.scenario) }
        var blocks: [RunbookBlock] = [
            .heading(2, "Drills and reviews"),
            .paragraph(
                text(
                    "A drill is a game day as a command: a recorded client workload, an injected fault, and an exact "
                        + "measurement of detection time, RTO and RPO. A drill that counts for this review is run "
                        + "with `drctl drill --record`, which appends a line to `\(deployment.drills.history)`, shown "
                        + "here against the objectives (RTO \(objectives.rto.text), RPO "
                        + "\(rpoText(objectives.rpo))); then render the runbook again and commit both. A drill without "
                        + "`--record` (a try-out) changes no tracked file: its reports and history stay in "
                        + "`drill-reports/`. A drill must pass, and the runbook must be reviewed, at least every "
                        + "\(review.cadenceDays) days.")),
            .heading(3, "Drill history"),
        ]
        if records.isEmpty {
            let why = history == nil ? "does not exist yet" : "is empty"
            blocks.append(
                .paragraph(
                    text("No drill has run yet: `\(deployment.drills.history)` \(why).")))
        } else {
            blocks.append(
                .table(
                    header: [
                        "Date", "Scenario", "Durability", "Detection", "RTO write", "RTO read", "Lost writes",
                        "Fenced writes", "Result", "Report",
                    ],
                    rows: records.map { drillRow($0) }))
            if objectives.rpo > .zero {
                blocks.append(
                    .paragraph(
                        text(
                            "Lost writes are a count; whether they fit the RPO of \(objectives.rpo.text) is in each "
                                + "drill's report.")))
            }
        }
        let lastPassing = RunbookStaleness.lastPassingDrill(in: history ?? [], asOf: asOf)
        let nextDrill = lastPassing.map { CalendarDay(date: $0.date).adding(days: review.cadenceDays) }
        let nextReview = review.lastReview.map { $0.date.adding(days: review.cadenceDays) }
        blocks.append(.heading(3, "Reviews"))
        blocks.append(
            .bullets([
                [.text("Cadence: every \(review.cadenceDays) days ("), .code("review.cadence"), .text(").")],
                [
                    .text(
                        "Last review: "
                            + (review.lastReview.map { "\($0.date.text) by \($0.by)" } ?? "none recorded")
                            + "; next due by " + (nextReview?.text ?? "now") + ".")
                ],
                [
                    .text(
                        "Last passing drill: "
                            + (lastPassing.map { "\(CalendarDay(date: $0.date).text) (\($0.scenario))" } ?? "none")
                            + "; next due by " + (nextDrill?.text ?? "now") + ".")
                ],
            ]))
        let warnings = RunbookStaleness.warnings(deployment: deployment, history: history, asOf: asOf)
        if warnings.isEmpty {
            blocks.append(.paragraph([.text("As of \(asOf.text), the review and the last passing drill are recent.")]))
        }
        for warning in warnings { blocks.append(.callout(.warning, [.text(warning)])) }
        blocks.append(
            .paragraph(
                text(
                    "A review walks through this runbook against the deployment: are the contacts and the escalation "
                        + "right, do the procedures still match the commands, did the last drills meet the "
                        + "objectives? Record it under `review.log` in the deployment file and render the runbook "
                        + "again.")))
        let log = review.log.sorted { $0.date > $1.date }
        if log.isEmpty {
            blocks.append(.paragraph([.text("No review is recorded yet.")]))
        } else {
            blocks.append(
                .table(
                    header: ["Date", "By", "Changes"],
                    rows: log.map { entry in [[.text(entry.date.text)], [.text(entry.by)], [.text(entry.changes)]] }))
        }
        return blocks
    }

    /// One drill as a table row, each measure marked against its objective.
    func drillRow(_ record: DrillRecord) -> [[RunbookInline]] {
        let objectives = deployment.objectives
        func seconds(_ value: Double?, objective: Duration?) -> [RunbookInline] {
            guard let value else { return [.text("–")] }
            let shown = String(format: "%.2f s", value)
            guard let objective else { return [.text(shown)] }
            return [.text(value <= objective.seconds ? "\(shown) ✓" : "\(shown) ✗ over \(objective.text)")]
        }
        let lost: String
        if objectives.rpo == .zero {
            lost = record.lostWrites == 0 ? "0 ✓" : "\(record.lostWrites) ✗ RPO 0"
        } else {
            lost = String(record.lostWrites)
        }
        let report: [RunbookInline] =
            record.report.map { path in
                [.link(path, target: Self.reportLink(path, history: deployment.drills.history))]
            } ?? [.text("–")]
        return [
            [.text(CalendarDay(date: record.date).text)], [.text(record.scenario)], [.text(record.durability)],
            seconds(record.detectionSeconds, objective: nil),
            seconds(record.rtoWriteSeconds, objective: objectives.rto),
            seconds(record.rtoReadSeconds, objective: objectives.rto), [.text(lost)],
            [.text(record.fencedWrites == 0 ? "0" : "\(record.fencedWrites) ✗")],
            [.strong(record.passed ? "pass" : "FAIL")], report,
        ]
    }

    /// A report path (relative to the history file) as a link from `docs/RUNBOOK.md`.
    static func reportLink(_ report: String, history: String) -> String {
        if report.hasPrefix("/") || report.contains("://") { return report }
        let folder = (history as NSString).deletingLastPathComponent
        let fromRoot = folder.isEmpty ? report : "\(folder)/\(report)"
        return fromRoot.hasPrefix("docs/") ? String(fromRoot.dropFirst(5)) : "../\(fromRoot)"
    }
}
