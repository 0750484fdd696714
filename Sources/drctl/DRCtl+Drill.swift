import ArgumentParser
import DRConfiguration
import Drills
import Failover
import Foundation
import Lab
import Logging

/// `drctl drill`: a game day in one command (issue 6).
struct DrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Run a DR drill: a lab, a recorded workload through the edge, a fault, recovery, checks, a report.",
        discussion: """
            Scenarios: \(DrillScenario.allCases.map(\.rawValue).joined(separator: ", ")), or all.
            Each scenario brings up a fresh lab (or uses --lab DIR), runs the workload for --duration at --rate
            requests per second, injects the fault at 30 % of the run, waits for the controller to recover, checks
            every acknowledged write one by one (RPO), resurrections and writes taken by a fenced primary, and writes
            a report (Markdown, HTML with charts, JSON) under --report. Each run is appended to a local drill history
            in drill-reports/history.jsonl (ignored by git); it enters the drill history that the runbook shows
            only when asked: --record (the deployment file's drills.history) or --history FILE.
            """)

    @Option(help: "A scenario, a comma-separated list, or all.") var scenario = "region-crash"
    @Option(help: "sync, async or critical-sync.") var durability: Durability = .sync
    @Option(help: "Comma-separated regions; the first holds the primary.")
    var regions = "us-east-1,eu-west-1,ap-southeast-2"
    @Option(help: "How long the workload runs, e.g. 30s.") var duration = "30s"
    @Option(help: "Requests per second (open loop; the default fits a 2-core machine's debug-build lab).")
    var rate: Double = DrillRunner.Options.defaultRate
    @Option(help: "Objectives, e.g. rto=5s,rpo=0 (default: that in sync mode, rto=5s otherwise).")
    var objectives: String?
    @Option(help: "The report folder (default drill-reports/<time>).") var report: String?
    @Option(help: "The drill history to append to (default: drill-reports/history.jsonl, which git ignores).")
    var history: String?
    @Flag(help: "Append to the drill history the runbook shows (drills.history of --config); then re-render it.")
    var record = false
    @Option(help: "The deployment file that names the drill history.") var config = "deploy/customer-portal.dr.yaml"
    @Option(name: .customLong("lab"), help: "Use the lab running in this folder instead of a fresh one.")
    var labDirectory: String?
    @Option(help: "Multiplies the default WAN latencies.") var latencyScale: Double = 1
    @Option(
        help: """
            bcrypt cost of a fresh lab's portals. Below production's 12 on purpose: three regions share this \
            machine's cores, and the drill measures failover, not the hash ceiling (customer-portal bcrypt-rate).
            """)
    var bcryptCost = DrillRunner.Options.defaultBcryptCost
    @Flag(help: "Leave the lab running afterwards.") var keep = false
    @Flag(help: "Print the reports as JSON.") var json = false

    func validate() throws {
        do { _ = try DrillScenario.parse(scenario) } catch { throw ValidationError(error.message) }
        guard let parsed = Duration(text: duration), parsed >= .seconds(5), parsed <= .seconds(3600) else {
            throw ValidationError("--duration '\(duration)' must be a duration of 5s–1h, such as 30s")
        }
        guard rate > 0, rate <= 2000, rate.isFinite else {
            throw ValidationError("--rate \(rate) must be above 0 and at most 2000")
        }
        if let objectives {
            do { _ = try Objectives(parsing: objectives) } catch { throw ValidationError(error.message) }
        }
        for region in regions.split(separator: ",") where !RegionName(String(region)).isWellFormed {
            throw ValidationError("--regions: '\(region)' is not a region name such as eu-west-1")
        }
        guard (0...10).contains(latencyScale) else {
            throw ValidationError("--latency-scale \(latencyScale) must be 0–10")
        }
        guard (4...31).contains(bcryptCost) else { throw ValidationError("--bcrypt-cost \(bcryptCost) must be 4–31") }
        if record && history != nil {
            throw ValidationError("--record and --history both name a drill history: give one of them")
        }
    }

    /// Where a drill that is not recorded keeps its line: beside the reports, in a folder git ignores.
    static let localHistory = "drill-reports/history.jsonl"

    func run() async throws {
        var logger = Logger(label: "drill")
        logger.logLevel = .warning
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        var options = DrillRunner.Options(reportDirectory: report ?? "drill-reports/\(stamp)")
        options.scenarios = try DrillScenario.parse(scenario)
        options.durability = durability
        options.regions = regions.split(separator: ",").map { RegionName(String($0)) }
        options.duration = Duration(text: duration)!
        options.rate = rate
        options.objectives = try objectives.map { try Objectives(parsing: $0) }
        options.historyFile = try history ?? (record ? Deployment.load(path: config).drills.history : Self.localHistory)
        options.labDirectory = labDirectory
        options.keep = keep
        options.latencyScale = latencyScale
        options.bcryptCost = bcryptCost
        let interactive = isatty(STDERR_FILENO) == 1
        let runner = DrillRunner(options: options, logger: logger) { line in
            let text = interactive ? "\r\u{1B}[2K" + line : line + "\n"
            FileHandle.standardError.write(Data(text.utf8))
        }
        let (outcomes, failures) = try await runner.runAll()
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
        if json {
            print(
                "["
                    + (try outcomes.map { String(decoding: try $0.report.json(), as: UTF8.self) }.joined(separator: ","))
                    + "]")
        } else {
            print(DrillReport.overview(outcomes.map(\.report)))
            for outcome in outcomes { print("report: \(outcome.files.html)") }
            if let file = options.historyFile { print("history: \(file)") }
        }
        for (scenario, reason) in failures { print("- \(scenario.rawValue): DID NOT COMPLETE — \(reason)") }
        if outcomes.contains(where: { !$0.report.passed }) || !failures.isEmpty { throw ExitCode(1) }
    }
}
