import ArgumentParser
import DRConfiguration
import Failover
import Foundation
import Runbook

extension RunbookFormat: ExpressibleByArgument {}

extension DRCtl {
    /// `drctl runbook`: renders the runbook from the deployment file, or checks the committed one.
    struct RunbookCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "runbook",
            abstract: "Render the disaster-recovery runbook from the deployment file, or check the committed one.",
            discussion: """
                Without --check, writes the runbook (Markdown or self-contained HTML) to --output or standard \
                output, as of today (UTC), and prints a warning for a stale review or drill.
                With --check, fails (one line per problem) when the committed runbook differs from what the file \
                renders, when one of its drctl commands does not parse, or when a contact has no channel; it only \
                warns when the last review or the last passing drill is older than the review cadence.
                """)

        @Option(name: .customLong("config"), help: "The deployment file.")
        var config = "deploy/customer-portal.dr.yaml"

        @Option(help: "markdown or html.")
        var format: RunbookFormat = .markdown

        @Option(help: "Write the runbook to this file instead of standard output.")
        var output: String?

        @Flag(help: "Check the committed runbook instead of rendering.")
        var check = false

        @Option(help: "The committed runbook to check (default docs/RUNBOOK.md, or docs/RUNBOOK.html for html).")
        var committed: String?

        func validate() throws {
            if committed != nil && !check { throw ValidationError("--committed needs --check") }
            if output != nil && check { throw ValidationError("--output and --check exclude each other") }
        }

        func run() throws {
            let deployment: Deployment
            let history: [DrillRecord]?
            do {
                deployment = try Deployment.load(path: config)
                history = try DrillRecord.readHistory(at: deployment.drills.history)
            } catch {
                throw RunbookFailure(String(describing: error))
            }
            let today = CalendarDay(date: Date())
            if check {
                try runCheck(deployment: deployment, history: history, today: today)
                return
            }
            let document = Runbook.document(for: deployment, history: history, asOf: today, source: config)
            let text = Runbook.render(document, format: format)
            for warning in RunbookStaleness.warnings(deployment: deployment, history: history, asOf: today) {
                printError("warning: \(warning)")
            }
            guard let output else {
                print(text, terminator: "")
                return
            }
            guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                throw RunbookFailure("cannot write \(output)")
            }
            printError("wrote \(output)")
        }

        private func runCheck(deployment: Deployment, history: [DrillRecord]?, today: CalendarDay) throws {
            let path = committed ?? (format == .html ? "docs/RUNBOOK.html" : "docs/RUNBOOK.md")
            let committedText = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
            let report = RunbookCheck.run(
                committed: committedText, committedPath: path, deployment: deployment, history: history,
                source: config, format: format, today: today, parse: Self.parseDrctl)
            for warning in report.warnings { printError("warning: \(warning)") }
            for problem in report.problems { printError("error: \(problem)") }
            guard report.passed else { throw ExitCode.failure }
            print("\(path) matches \(config); its \(report.parsedCommands) drctl commands parse")
        }

        /// Parses a drctl command line as drctl itself would; nil when it parses, else the parser's first line.
        static func parseDrctl(_ arguments: [String]) -> String? {
            // The parser's own complaint about a missing subcommand names an option further on; say it plainly.
            let commands = DRCtl.configuration.subcommands.map { $0._commandName }
            if let first = arguments.first, !first.hasPrefix("-"), !commands.contains(first) {
                return "drctl has no command '\(first)'"
            }
            do {
                _ = try DRCtl.parseAsRoot(arguments)
                return nil
            } catch {
                let message = DRCtl.message(for: error)
                return message.split(separator: "\n").first.map(String.init) ?? "does not parse"
            }
        }
    }
}

/// A `drctl runbook` failure: one line, no usage text.
private struct RunbookFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes a line to standard error.
private func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
