import Failover
import Foundation

/// The result of one drill scenario: measures, checker findings and the verdict against the objectives. It
/// renders as Markdown, as a self-contained HTML page with SVG charts, and as JSON (the schema is in
/// docs/DRILL-REPORT.md).
public struct DrillReport: Codable, Hashable, Sendable {
    /// The JSON schema's name and version.
    public static let schemaName = "customer-portal/drill-report/1"

    public var schema: String
    public var scenario: String
    public var durability: String
    /// Wall-clock time of the drill's second 0.
    public var startedAt: Date
    /// The objectives, as canonical text (`rto=5s,rpo=0`).
    public var objectives: String
    public var passed: Bool
    /// One line: the scenario, PASS or FAIL, and the figures that decide it.
    public var summary: String
    public var judgements: [Judgement]
    public var fault: DrillEvent?
    public var timeline: [DrillEvent]
    public var replicationLagBeforeFault: [String: Double]
    public var measures: DrillMeasures
    public var check: CheckResult

    /// Measures `history`, and judges it and `check` against `objectives`.
    public init(history: DrillHistory, check: CheckResult, context: DrillContext, objectives: Objectives) {
        self.init(
            measures: DrillMeasures(history: history, context: context), check: check, context: context,
            objectives: objectives, startedAt: history.startedAt)
    }

    /// A report from measures already taken.
    public init(
        measures: DrillMeasures, check: CheckResult, context: DrillContext, objectives: Objectives, startedAt: Date
    ) {
        schema = Self.schemaName
        scenario = context.scenario
        durability = context.durability
        self.startedAt = startedAt
        self.objectives = objectives.description
        judgements = objectives.judge(measures, check)
        passed = judgements.allSatisfy(\.passed)
        fault = context.fault
        timeline = context.timeline.sorted { $0.time < $1.time }
        replicationLagBeforeFault = context.replicationLagBeforeFault
        self.measures = measures
        self.check = check
        summary = Self.summaryLine(scenario: scenario, durability: durability, passed: passed, judgements: judgements)
    }

    /// `region-crash (sync): PASS  rto-write 2.1s ≤ 5s · rto-read 350ms ≤ 5s · rpo 0 lost ≤ 0 · …`.
    static func summaryLine(scenario: String, durability: String, passed: Bool, judgements: [Judgement]) -> String {
        let figures = judgements.map { judgement in
            let limit = judgement.limit.map { " \($0)" } ?? ""
            return "\(judgement.name) \(judgement.measured)\(limit)\(judgement.passed ? "" : " ✗")"
        }
        return "\(scenario) (\(durability)): \(passed ? "PASS" : "FAIL")  " + figures.joined(separator: " · ")
    }

    // MARK: JSON

    /// The report as pretty-printed JSON with sorted keys.
    public func json() throws -> Data { try DrillJSON.encoder(pretty: true).encode(self) }

    /// Reads a report written by `json()`.
    public init(json data: Data) throws(DrillError) {
        do { self = try DrillJSON.decoder.decode(DrillReport.self, from: data) } catch {
            throw DrillError(.badFile, "not a drill report: \(error)")
        }
        guard schema == Self.schemaName else {
            throw DrillError(.badFile, "unknown drill report schema '\(schema)' (expected \(Self.schemaName))")
        }
    }

    // MARK: Files

    /// The paths `write(to:history:)` wrote.
    public struct Files: Sendable {
        public var markdown: String
        public var html: String
        public var json: String
        public var history: String?
    }

    /// Writes `report.md`, `report.html`, `report.json` and, when given, `history.jsonl` into `directory`
    /// (created when missing).
    @discardableResult
    public func write(to directory: String, history: DrillHistory? = nil) throws(DrillError) -> Files {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let files = Files(
            markdown: path("report.md"), html: path("report.html"), json: path("report.json"),
            history: history == nil ? nil : path("history.jsonl"))
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(markdown().utf8).write(to: URL(fileURLWithPath: files.markdown))
            try Data(html().utf8).write(to: URL(fileURLWithPath: files.html))
            try json().write(to: URL(fileURLWithPath: files.json))
            if let history, let target = files.history {
                try history.jsonLines().write(to: URL(fileURLWithPath: target))
            }
        } catch {
            throw DrillError(.badFile, "\(directory): cannot write the report (\(error))")
        }
        return files
    }

    // MARK: Drill history

    /// The line of the drill history (`docs/drills/history.jsonl`) for this report; `report` is the report's
    /// path relative to the history file.
    public func drillRecord(report: String?) -> DrillRecord {
        DrillRecord(
            date: startedAt, scenario: scenario, durability: durability, passed: passed,
            detectionSeconds: measures.detectionSeconds, rtoWriteSeconds: measures.writeRecovery?.seconds,
            rtoReadSeconds: measures.readRecovery?.seconds, lostWrites: check.lostWrites.count,
            fencedWrites: check.fencedWrites.count, objectives: objectives, report: report)
    }

    /// Appends this report's record to the drill history file at `path`.
    public func appendRecord(to path: String, report: String?) throws {
        try drillRecord(report: report).append(to: path)
    }
}
