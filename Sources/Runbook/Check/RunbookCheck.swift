import DRConfiguration
import Failover

/// The outcome of `drctl runbook --check`: problems fail it, warnings do not. One line each.
public struct RunbookCheckReport: Hashable, Sendable {
    public var problems: [String] = []
    public var warnings: [String] = []
    /// How many distinct drctl commands were parsed.
    public var parsedCommands = 0

    public init() {}

    public var passed: Bool { problems.isEmpty }
}

/// Checks a committed runbook against the deployment file: same text, commands that parse, reachable contacts,
/// and recent reviews and drills.
public enum RunbookCheck {
    /// Parses the arguments of a `drctl` command (without `drctl`); nil when they parse, else why not, on one
    /// line. The executable passes `DRCtl.parseAsRoot`; the library cannot see drctl's commands.
    public typealias CommandParser = (_ arguments: [String]) -> String?

    /// Checks everything. The committed text is compared with a rendering as of the day it says it describes, so
    /// that it does not go out of date at midnight; staleness is judged as of `today`, as a warning.
    public static func run(
        committed: String?, committedPath: String, deployment: Deployment, history: [DrillRecord]?, source: String,
        format: RunbookFormat, today: CalendarDay, parse: CommandParser
    ) -> RunbookCheckReport {
        let asOf = committed.flatMap { Runbook.asOfDay(in: $0) } ?? today
        let document = Runbook.document(for: deployment, history: history, asOf: asOf, source: source)
        let rendered = Runbook.render(document, format: format)
        var report = RunbookCheckReport()
        if let committed {
            if let difference = firstDifference(committed: committed, rendered: rendered) {
                report.problems.append(
                    "\(committedPath) differs from what \(source) renders, from line \(difference.line): committed "
                        + "\(difference.committed), rendered \(difference.rendered); run "
                        + "drctl runbook --config \(source) --format \(format.rawValue) --output \(committedPath)")
            }
        } else {
            report.problems.append(
                "\(committedPath) does not exist; run drctl runbook --config \(source) --format \(format.rawValue) "
                    + "--output \(committedPath)")
        }
        let commands = commandProblems(in: document, parse: parse)
        report.problems += commands.problems
        report.parsedCommands = commands.parsed
        report.problems += contactProblems(in: deployment)
        report.warnings = RunbookStaleness.warnings(deployment: deployment, history: history, asOf: today)
        return report
    }

    /// One problem per distinct drctl command of the document that does not parse, in document order; other
    /// programs (aws, psql) are not drctl's to judge and are skipped.
    public static func commandProblems(in document: RunbookDocument, parse: CommandParser) -> (
        problems: [String], parsed: Int
    ) {
        var seen: Set<ShellCommand> = []
        var problems: [String] = []
        for command in document.commands where command.isDrctl && seen.insert(command).inserted {
            if let reason = parse(command.arguments) {
                problems.append("command does not parse: \(command) (\(reason))")
            }
        }
        return (problems, seen.count)
    }

    /// One problem per contact that has no channel to be reached on.
    public static func contactProblems(in deployment: Deployment) -> [String] {
        deployment.contacts.filter(\.channels.isEmpty).map { contact in
            "contact '\(contact.name)' has no channel: give at least one of pager, phone, chat, email"
        }
    }

    /// The first line where the two texts differ (from 1), with both lines quoted, or nil when they are equal.
    public static func firstDifference(committed: String, rendered: String) -> (
        line: Int, committed: String, rendered: String
    )? {
        guard committed != rendered else { return nil }
        let left = committed.split(separator: "\n", omittingEmptySubsequences: false)
        let right = rendered.split(separator: "\n", omittingEmptySubsequences: false)
        func quoted(_ lines: [Substring], _ index: Int) -> String {
            guard index < lines.count else { return "(end of file)" }
            let line = lines[index]
            return "'" + (line.count > 100 ? line.prefix(100) + "…" : line) + "'"
        }
        let index = zip(left, right).enumerated().first { $1.0 != $1.1 }?.offset ?? min(left.count, right.count)
        return (index + 1, quoted(left, index), quoted(right, index))
    }
}
