import Failover
import Foundation
import Testing

@testable import Drills

/// Rendering a report: Markdown with the summary line, HTML with SVG charts, JSON that reads back, a drill
/// history record, and files.
@Suite struct ReportTests {
    static func report(planted: Bool = false) throws -> DrillReport {
        var check = CheckResult()
        check.acknowledgedWrites = 60
        if planted {
            check.lostWrites = [
                Finding(.lostWrite, email: "a@example.com", operation: 12, time: 1.2, detail: "planted <lost>")
            ]
            check.lostWriteWindow = TimeWindow(start: 1.2, end: 1.25)
        }
        var context = MeasuresTests.context
        context.replicationLagBeforeFault = ["eu-west-1": 0.004]
        return DrillReport(
            history: MeasuresTests.faultedHistory(), check: check, context: context,
            objectives: try Objectives(parsing: "rto=5s,rpo=0"))
    }

    @Test func summaryLineSaysPassOrFailWithTheFigures() throws {
        let passing = try Self.report()
        #expect(passing.passed)
        #expect(passing.summary.hasPrefix("region-crash (sync): PASS  rto-write 2.61s ≤ 5s · rto-read 1.3s ≤ 5s"))
        #expect(passing.summary.contains("rpo 0 lost ≤ 0"))
        let failing = try Self.report(planted: true)
        #expect(!failing.passed)
        #expect(failing.summary.hasPrefix("region-crash (sync): FAIL"))
        #expect(failing.summary.contains("rpo 1 lost ≤ 0 ✗"))
    }

    @Test func overviewHasOneSummaryLinePerScenario() throws {
        let reports = [try Self.report(), try Self.report(planted: true)]
        let overview = DrillReport.overview(reports)
        #expect(overview.hasPrefix("# Drills: 1 of 2 passed\n"))
        #expect(overview.components(separatedBy: "\n- region-crash (sync): ").count == 3)
    }

    @Test func markdownHoldsTheSummaryFindingsAndTimeline() throws {
        let report = try Self.report(planted: true)
        let markdown = report.markdown()
        #expect(markdown.contains("**\(report.summary)**"))
        #expect(markdown.contains("`a@example.com` planted <lost> at 1.20s"))
        #expect(markdown.contains("| 4.50s | promote | eu-west-1 |"))
        #expect(markdown.contains("| 3.00s | fault: crash us-east-1 |"))
        #expect(markdown.contains("Replication lag before the fault: eu-west-1 0.00s."))
        #expect(markdown.contains("| 9 | 10 | 10 | 0 | 0.0% | 0 |"))
    }

    @Test func htmlIsSelfContainedWithChartsAndMarkers() throws {
        let html = try Self.report(planted: true).html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.components(separatedBy: "<svg ").count - 1 == 4)
        #expect(html.contains(">fault</text>"))
        #expect(html.contains("<title>promote eu-west-1</title>"))
        #expect(html.contains("planted &lt;lost&gt;"))
        #expect(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http"))
    }

    @Test func jsonRoundTrips() throws {
        let report = try Self.report(planted: true)
        let data = try report.json()
        let decoded = try DrillReport(json: data)
        #expect(decoded == report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["schema"] as? String == "customer-portal/drill-report/1")
        #expect(Set(object.keys).isSuperset(of: ["measures", "check", "judgements", "summary", "passed", "timeline"]))
    }

    @Test func jsonOfAnotherSchemaIsRefused() throws {
        var object = try #require(try JSONSerialization.jsonObject(with: try Self.report().json()) as? [String: Any])
        object["schema"] = "something/else"
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: DrillError.self) { try DrillReport(json: data) }
    }

    @Test func historyRoundTripsAsJSONLines() throws {
        var builder = CheckerTests.history
        builder.record(.readProfile, "x@example.com", .shed, error: "in-flight limit (4)")
        let history = builder.history
        let decoded = try DrillHistory(jsonLines: try history.jsonLines())
        #expect(decoded == history)
        let lines = String(decoding: try history.jsonLines(), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == history.operations.count + 1)
        #expect(lines[0].contains("\"startedAt\":\"2027-01-15T08:00:00.250Z\""))
        #expect(throws: DrillError.self) { try DrillHistory(jsonLines: Data("{\"format\":\"x\"}\n".utf8)) }
    }

    @Test func writesFilesAndAppendsTheDrillRecord() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("drill-report-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let report = try Self.report(planted: true)
        let files = try report.write(to: directory + "/region-crash", history: MeasuresTests.faultedHistory())
        #expect(FileManager.default.fileExists(atPath: files.markdown))
        #expect(FileManager.default.fileExists(atPath: files.html))
        #expect(try DrillReport(json: Data(contentsOf: URL(fileURLWithPath: files.json))) == report)
        #expect(try DrillHistory.read(from: files.history!) == MeasuresTests.faultedHistory())

        let historyFile = directory + "/history.jsonl"
        try report.appendRecord(to: historyFile, report: "region-crash/report.md")
        try report.appendRecord(to: historyFile, report: nil)
        let records = try #require(try DrillRecord.readHistory(at: historyFile))
        #expect(records.count == 2)
        let record = records[0]
        #expect(record.scenario == "region-crash" && record.durability == "sync" && !record.passed)
        #expect(record.lostWrites == 1 && record.fencedWrites == 0 && record.objectives == "rto=5s,rpo=0")
        #expect(abs((record.rtoWriteSeconds ?? 0) - 2.607) < 1e-9)
        #expect(abs((record.detectionSeconds ?? 0) - 0.8) < 1e-9)
        #expect(record.report == "region-crash/report.md")
    }
}

@Suite struct ChartMarkerTests {
    static func marker(_ time: Double, _ label: String) -> SVGChart.Marker {
        SVGChart.Marker(time: time, label: label, title: "step \(label)", color: "#555")
    }

    @Test func markersCloseTogetherAreOneGroupWithARangeLabel() {
        let markers = [
            Self.marker(20, "fault"), Self.marker(24.1, "28"), Self.marker(24.15, "29"), Self.marker(24.2, "30"),
        ]
        let groups = SVGChart.group(markers, minimumGap: 1)
        #expect(groups.map(\.label) == ["fault", "28–30"])
        #expect(groups[1].members.count == 3)
    }

    @Test func aRunThatIsNotConsecutiveIsListed() {
        let groups = SVGChart.group([Self.marker(5, "fault"), Self.marker(5.1, "D")], minimumGap: 1)
        #expect(groups.map(\.label) == ["fault,D"])
    }

    @Test func closeMarkersGetOneLabelAndALegendLine() {
        let chart = SVGChart(
            title: "t", unit: "", seconds: 60, series: [.init(name: "ok", color: "#000", values: [1, 2])],
            markers: [Self.marker(30, "28"), Self.marker(30.1, "29"), Self.marker(30.2, "30"), Self.marker(50, "31")])
        let svg = chart.render()
        #expect(svg.contains(">28–30</text>"))
        #expect(!svg.contains(">29</text>"))
        #expect(svg.contains("28–30: 28 step 28 · 29 step 29 · 30 step 30"))
        #expect(svg.contains(">31</text>"))
    }
}
