import Drills
import Failover
import Foundation
import Lab
import Logging
import Testing

/// The `region-crash` and `region-partition` drills, end to end on a real lab (issue 6). Assertions are about
/// correctness only — no acknowledged write lost in sync mode, no write taken by a fenced primary, nothing
/// resurrected — never about timing.
@Suite(.serialized) struct DrillLabTests {
    func drill(_ scenario: DrillScenario) async throws -> (DrillRunner.Outcome, String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "drill-test-\(UUID().uuidString.prefix(8))"
        ).path
        var options = DrillRunner.Options(reportDirectory: folder)
        options.scenarios = [scenario]
        options.duration = .seconds(15)
        options.rate = 20
        options.latencyScale = 0
        options.bcryptCost = 4
        options.portalExecutable = BuiltProducts.portal
        options.controlExecutable = BuiltProducts.drctl
        options.controllerSettings = .forTests
        options.historyFile = (folder as NSString).appendingPathComponent("history.jsonl")
        var logger = Logger(label: "drill-test")
        logger.logLevel = .warning
        let outcomes = try await withLabSlot { try await DrillRunner(options: options, logger: logger).run() }
        return (try #require(outcomes.first), folder)
    }

    func expectCorrect(_ outcome: DrillRunner.Outcome) {
        let check = outcome.report.check
        #expect(check.acknowledgedWrites > 0, "the workload wrote nothing: the drill proves nothing")
        #expect(check.lostWrites.isEmpty, "acknowledged writes lost: \(check.lostWrites)")
        #expect(check.resurrections.isEmpty, "resurrected: \(check.resurrections)")
        #expect(check.fencedWrites.isEmpty, "written by a fenced primary: \(check.fencedWrites)")
        #expect(check.duplicates.isEmpty)
    }

    @Test func regionCrashDrillLosesNothing() async throws {
        let (outcome, folder) = try await drill(.regionCrash)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        expectCorrect(outcome)
        let timeline = outcome.report.timeline.map(\.name)
        #expect(timeline.contains("failover-finished"))
        #expect(FileManager.default.fileExists(atPath: outcome.files.html))
        let records = try DrillRecord.readHistory(at: (folder as NSString).appendingPathComponent("history.jsonl"))
        #expect(records?.count == 1)
        #expect(records?.first?.scenario == "region-crash")
    }

    @Test func regionPartitionDrillLosesNothingAndTheFencedPrimaryTakesNothing() async throws {
        let (outcome, folder) = try await drill(.regionPartition)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        expectCorrect(outcome)
        #expect(outcome.report.timeline.map(\.name).contains("failover-finished"))
    }
}
