import DRConfiguration
import Failover
import Foundation
import Runbook
import Testing

@Suite("Runbook check")
struct RunbookCheckTests {
    /// A stand-in for drctl's parser that knows one command: `drctl lab status --dir DIR`.
    static func labStatusOnly(_ arguments: [String]) -> String? {
        arguments.count == 4 && Array(arguments.prefix(3)) == ["lab", "status", "--dir"]
            ? nil : "Unexpected argument '\(arguments.first ?? "")'"
    }

    func check(
        committed: String?, deployment: Deployment, history: [DrillRecord]? = nil, today: String = "2026-11-27",
        parse: RunbookCheck.CommandParser = { _ in nil }
    ) -> RunbookCheckReport {
        RunbookCheck.run(
            committed: committed, committedPath: "docs/RUNBOOK.md", deployment: deployment, history: history,
            source: "deploy/x.dr.yaml", format: .markdown, today: day(today), parse: parse)
    }

    func rendered(_ deployment: Deployment, asOf: String = "2026-11-27") -> String {
        Runbook.render(
            Runbook.document(for: deployment, history: nil, asOf: day(asOf), source: "deploy/x.dr.yaml"),
            format: .markdown)
    }

    @Test func unchangedRunbookPasses() throws {
        let deployment = try defaultDeployment()
        let report = check(committed: rendered(deployment), deployment: deployment)
        #expect(report.problems == [])
        #expect(report.passed)
        #expect(report.parsedCommands > 20)
    }

    @Test func changedCommittedRunbookFailsWithTheFirstDifferingLine() throws {
        let deployment = try defaultDeployment()
        var lines = rendered(deployment).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let index = try #require(lines.firstIndex { $0.contains("drctl failover --to eu-west-1 --dir .drlab") })
        lines[index] = "drctl failover --to eu-west-1"
        let report = check(committed: lines.joined(separator: "\n"), deployment: deployment)
        #expect(!report.passed)
        #expect(report.problems.count == 1)
        let problem = try #require(report.problems.first)
        #expect(problem.contains("docs/RUNBOOK.md differs from what deploy/x.dr.yaml renders, from line \(index + 1)"))
        #expect(problem.contains("committed 'drctl failover --to eu-west-1'"))
        #expect(problem.contains("rendered 'drctl failover --to eu-west-1 --dir .drlab'"))
    }

    @Test func changedDeploymentFailsTheCheck() throws {
        let deployment = try defaultDeployment()
        let committed = rendered(deployment)
        var changed = deployment
        changed.contacts[1].phone = "+44 20 7946 0000"
        #expect(!check(committed: committed, deployment: changed).passed)
    }

    @Test func missingCommittedRunbookFails() throws {
        let report = check(committed: nil, deployment: try defaultDeployment())
        #expect(report.problems.first?.hasPrefix("docs/RUNBOOK.md does not exist") == true)
    }

    @Test func checkRendersTheCommittedDayAndWarnsAsOfToday() throws {
        var deployment = try defaultDeployment()
        deployment.review.log = [.init(date: day("2026-11-01"), by: "Ada Lovelace", changes: "checked")]
        let committed = rendered(deployment, asOf: "2026-11-27")
        let later = check(committed: committed, deployment: deployment, today: "2027-06-01")
        #expect(later.passed, "a runbook must not go out of date at midnight: \(later.problems)")
        #expect(
            later.warnings.contains { $0.hasPrefix("The last review was on 2026-11-01, 212 days before 2027-06-01") })
        #expect(later.warnings.contains { $0.hasPrefix("No drill has run yet") })
    }

    @Test func commandsThatDoNotParseAreReportedOnce() {
        var asked: [[String]] = []
        let document = RunbookDocument(
            title: "t", source: "s", asOf: day("2026-11-27"),
            blocks: [
                .commands([
                    ShellCommand("drctl", ["lab", "status", "--dir", "x"]),
                    ShellCommand("drctl", ["frobnicate", "--harder"]),
                    ShellCommand("aws", ["rds", "describe-global-clusters"]),
                ]),
                .step(
                    RunbookStep(
                        number: 1, action: [.text("again")],
                        commands: [ShellCommand("drctl", ["frobnicate", "--harder"])],
                        verifyCommands: [ShellCommand("drctl", ["lab", "status", "--dir", "x"])])),
            ])
        let result = RunbookCheck.commandProblems(in: document) { arguments in
            asked.append(arguments)
            return Self.labStatusOnly(arguments)
        }
        #expect(
            result.problems == ["command does not parse: drctl frobnicate --harder (Unexpected argument 'frobnicate')"])
        #expect(result.parsed == 2)
        #expect(asked == [["lab", "status", "--dir", "x"], ["frobnicate", "--harder"]])
    }

    @Test func failingCommandsFailTheWholeCheck() throws {
        let deployment = try defaultDeployment()
        let report = check(committed: rendered(deployment), deployment: deployment, parse: Self.labStatusOnly)
        #expect(!report.passed)
        #expect(report.problems.contains { $0.hasPrefix("command does not parse: drctl failover --to eu-west-1") })
        #expect(!report.problems.contains { $0.contains("drctl lab status --dir .drlab (") })
    }

    @Test func contactWithoutChannelFailsTheCheck() throws {
        var deployment = try defaultDeployment()
        deployment.contacts.append(.init(name: "Silent Bob", role: "observer", timeZone: "UTC"))
        let report = check(committed: rendered(deployment), deployment: deployment)
        #expect(
            report.problems == ["contact 'Silent Bob' has no channel: give at least one of pager, phone, chat, email"])
    }

    @Test func committedRunbookMatchesTheDefaultDeployment() throws {
        let deployment = try defaultDeployment()
        let committed = try String(contentsOfFile: "\(packageRoot)/docs/RUNBOOK.md", encoding: .utf8)
        let history = try DrillRecord.readHistory(at: "\(packageRoot)/\(deployment.drills.history)")
        let report = RunbookCheck.run(
            committed: committed, committedPath: "docs/RUNBOOK.md", deployment: deployment, history: history,
            source: "deploy/customer-portal.dr.yaml", format: .markdown, today: CalendarDay(date: Date()),
            parse: { _ in nil })
        #expect(report.problems == [], "run: drctl runbook --output docs/RUNBOOK.md")
    }
}
