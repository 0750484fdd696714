import ArgumentParser
import Controller
import DRConfiguration
import Failover
import Foundation
import Lab
import Logging

extension DRCtl {
    /// `drctl lab …`: a whole multi-region deployment on this machine.
    struct LabCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lab",
            abstract: "Bring up, inspect and tear down a multi-region lab on this machine.",
            subcommands: [
                Up.self, Status.self, Down.self, Logs.self, Link.self, DurabilityCommand.self, WAN.self,
            ]
        )
    }
}

/// The lab folder option shared by every `drctl lab` command.
struct LabDirectoryOption: ParsableArguments {
    static let defaultDirectory = ".drlab"
    @Option(name: .customLong("dir"), help: "The lab's state folder.")
    var directory: String = Self.defaultDirectory

    /// What a `drctl` command for this lab appends: nothing for the default folder.
    var commandSuffix: String {
        guard directory != Self.defaultDirectory else { return "" }
        let plain = directory.allSatisfy { $0.isLetter || $0.isNumber || "/._-+:@".contains($0) }
        return "--dir " + (plain ? directory : "'" + directory.replacingOccurrences(of: "'", with: "'\\''") + "'")
    }

    func deployment() -> LabDeployment { Self.deployment(at: directory) }

    /// The lab in `directory`, logging warnings only.
    static func deployment(at directory: String) -> LabDeployment {
        var logger = Logger(label: "drctl.lab")
        logger.logLevel = .warning
        return LabDeployment(directory: directory, logger: logger)
    }
}

extension Durability: ExpressibleByArgument {}

extension DRCtl.LabCommand {
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the lab and return once every part is healthy (reports a running lab instead).")
        @OptionGroup var lab: LabDirectoryOption
        @Option(help: "Comma-separated regions.") var regions: String = "us-east-1,eu-west-1,ap-southeast-2"
        @Option(help: "The region that holds the primary database.") var primary: String = "us-east-1"
        @Option(help: "sync, async or critical-sync.") var durability: Durability = .sync
        @Option(help: "Portal processes per region (1–4).") var portalsPerRegion: Int = 1
        @Option(help: "Multiplies the default WAN latencies; 0 removes them.") var latencyScale: Double = 1
        @Option(help: "bcrypt cost of the lab's portals.") var bcryptCost: Int = 10
        @Option(
            name: .customLong("set"), parsing: .singleValue,
            help: "A controller setting KEY=VALUE, e.g. --set mode=manual --set lease-duration=3s (repeatable).")
        var controllerSettings: [String] = []
        @Option(
            name: .customLong("config"),
            help: ArgumentHelp(
                "A deployment file (deploy/customer-portal.dr.yaml): its regions, primary, durability, controller "
                    + "settings, notification targets and paging order replace the flags above."))
        var config: String?
        @Flag(
            name: .customLong("page-actions"),
            help: "The replicas' status pages act on their buttons (after a confirmation) instead of showing commands.")
        var pageActions = false
        @Flag(help: "Print the status as JSON.") var json = false

        /// `base` with every `--set` applied; a bad one is a one-line error naming it.
        func settings(over base: ControllerSettings = ControllerSettings()) throws -> ControllerSettings {
            var settings = base
            for item in controllerSettings {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--set '\(item)': write KEY=VALUE") }
                do { try settings.apply(key: parts[0], value: parts[1]) } catch {
                    throw ValidationError("--set \(error.message)")
                }
            }
            return settings
        }

        func validate() throws { _ = try settings() }

        /// `path` as the replicas read it: relative to the folder `lab up` runs in, since they run elsewhere.
        func absolute(_ path: String) -> String {
            URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
                .standardizedFileURL.path
        }

        func run() async throws {
            var configuration = LabConfiguration()
            configuration.regions = regions.split(separator: ",").map { RegionName(String($0)) }
            configuration.primary = RegionName(primary)
            configuration.durability = durability
            configuration.portalsPerRegion = portalsPerRegion
            configuration.latencyScale = latencyScale
            configuration.bcryptCost = bcryptCost
            configuration.directory = lab.directory
            configuration.controllerSettings = try settings()
            var notifications: ControllerConfiguration.Notifications?
            var drillHistory = Deployment.Drills().history
            if let config {
                let file: Deployment
                do { file = try Deployment.load(path: config) } catch { throw ValidationError("\(error)") }
                configuration.regions = file.regions.map(\.name)
                configuration.primary = file.primaryRegion?.name ?? configuration.regions[0]
                configuration.durability = Durability(rawValue: file.durability.rawValue) ?? .sync
                configuration.controllerSettings = try settings(over: file.controller)
                drillHistory = file.drills.history
                // The lab sends nothing off this machine: only loopback webhooks are kept.
                let loopback = file.notifications.webhooks.filter {
                    let host = URL(string: $0)?.host
                    return host == "127.0.0.1" || host == "localhost"
                }
                notifications = .init(
                    webhooks: loopback,
                    file: file.notifications.file.map(absolute),
                    page: file.pagingOrder.map {
                        "\($0.position). \($0.contact.name) (\($0.contact.role)) by \($0.channel.rawValue) "
                            + "\($0.address), after \($0.afterMinutes) min"
                    })
            }
            let deployment = lab.deployment()
            try FileManager.default.createDirectory(atPath: deployment.directory, withIntermediateDirectories: true)
            try notifications?.save(inLab: deployment.directory)
            try StatusPageSettings(
                actions: pageActions, commandSuffix: lab.commandSuffix, drillHistory: absolute(drillHistory)
            ).save(inLab: deployment.directory)
            let (_, alreadyRunning) = try await deployment.up(configuration)
            if alreadyRunning && !json { print("a lab is already running in \(deployment.directory):") }
            try await printStatus(deployment, json: json)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show every region's role, health, lag, ports and pids.")
        @OptionGroup var lab: LabDirectoryOption
        @Flag(help: "Print JSON (the documented contract).") var json = false

        func run() async throws { try await printStatus(lab.deployment(), json: json) }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop every process of the lab by pid (also after drctl was killed).")
        @OptionGroup var lab: LabDirectoryOption
        @Flag(help: "Also delete the lab's folder.") var purge = false

        func run() async throws {
            let deployment = lab.deployment()
            let stopped = try await deployment.down(purge: purge)
            print("stopped \(stopped) process(es)\(purge ? "; removed \(deployment.directory)" : "")")
        }
    }

    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a region's log.")
        @OptionGroup var lab: LabDirectoryOption
        @Argument(help: "The region.") var region: String
        @Option(help: "postgres or portal.") var process: String = "portal"

        func validate() throws {
            guard ["postgres", "portal"].contains(process) else {
                throw ValidationError("--process must be postgres or portal, got '\(process)'")
            }
        }

        func run() async throws {
            let state = try lab.deployment().state()
            let region = try state.region(RegionName(region))
            let files =
                process == "postgres"
                ? [region.postgres.process?.logFile].compactMap { $0 } : region.portals.compactMap(\.process?.logFile)
            for file in files {
                if files.count > 1 { print("==> \(file) <==") }
                print(
                    String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self),
                    terminator: "")
            }
        }
    }

    struct DurabilityCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "durability", abstract: "Change the durability mode of the running lab.")
        @OptionGroup var lab: LabDirectoryOption
        @Argument(help: "sync, async or critical-sync.") var mode: Durability

        func run() async throws {
            try await lab.deployment().setDurability(mode)
            print("durability is now \(mode.rawValue)")
        }
    }
}

/// Prints the lab's status as a table or as JSON.
func printStatus(_ deployment: LabDeployment, json: Bool) async throws {
    let status = try await deployment.status()
    if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(status), as: UTF8.self))
        return
    }
    print(
        "lab \(status.dir)  durability \(status.durability)  primary \(status.primary)  edge \(status.edge ?? "-")  "
            + "wan \(status.wan.url)")
    let header = ["region", "role", "healthy", "portal", "postgres", "replay LSN", "lag bytes", "lag s"]
    var rows = [header]
    for region in status.regions {
        rows.append([
            region.name, region.role, region.healthy ? "yes" : "NO",
            "\(region.portal.url) (pid \(region.portal.pids.map(String.init).joined(separator: ",")))",
            ":\(region.postgres.port) (pid \(region.postgres.pid.map(String.init) ?? "-"))",
            region.replication.replayLsn ?? "-", region.replication.lagBytes.map(String.init) ?? "-",
            region.replication.lagSeconds.map { String(format: "%.3f", $0) } ?? "-",
        ])
    }
    let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
    for row in rows {
        print(
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(
                separator: "  "))
    }
    if !status.etcd.isEmpty {
        let members = status.etcd.map { member in
            "\(member.region) \(member.healthy ? "healthy" : "NOT HEALTHY") (\(member.clientURL), pid "
                + "\(member.pid.map(String.init) ?? "-"))"
        }
        print("etcd: " + members.joined(separator: "; "))
    }
}

extension DRCtl.LabCommand {
    /// `drctl lab link A B …`: change a WAN link at run time.
    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change the WAN link between two regions ('*' for every link of the first one).",
            discussion: """
                Examples:
                  drctl lab link us-east-1 eu-west-1 --latency 40ms --jitter 5ms
                  drctl lab link us-east-1 '*' --partition
                  drctl lab link us-east-1 '*' --heal
                """)
        @OptionGroup var lab: LabDirectoryOption
        @Argument(help: "A region, or 'outside'.") var a: String
        @Argument(help: "Another region, 'outside', or '*' for all.") var b: String
        @Option(help: "One-way latency, e.g. 40ms.") var latency: String?
        @Option(help: "Jitter, e.g. 5ms.") var jitter: String?
        @Option(help: "Loss probability 0–1 (each lost chunk waits a 200 ms retransmission).") var loss: Double?
        @Flag(help: "Cut the link(s).") var partition = false
        @Flag(help: "Restore the link(s).") var heal = false

        func validate() throws {
            guard !(partition && heal) else { throw ValidationError("give --partition or --heal, not both") }
            if let loss, !(0...1).contains(loss) { throw ValidationError("--loss must be 0–1, got \(loss)") }
            _ = try milliseconds(latency, "--latency")
            _ = try milliseconds(jitter, "--jitter")
            guard latency != nil || jitter != nil || loss != nil || partition || heal else {
                throw ValidationError("nothing to change: give --latency, --jitter, --loss, --partition or --heal")
            }
        }

        func milliseconds(_ text: String?, _ flag: String) throws -> Double? {
            guard let text else { return nil }
            let number =
                text.hasSuffix("ms") ? text.dropLast(2) : text.hasSuffix("s") ? text.dropLast() : Substring(text)
            guard let value = Double(number), value >= 0, value <= 60_000 else {
                throw ValidationError("\(flag) must be a duration such as 40ms, got '\(text)'")
            }
            return text.hasSuffix("ms") || !text.hasSuffix("s") ? value : value * 1000
        }

        func run() async throws {
            let state = try lab.deployment().state()
            let nodes = state.regions.map(\.name.rawValue) + [WANPlan.outside]
            for node in [a] + (b == "*" ? [] : [b]) where !nodes.contains(node) {
                throw ValidationError("unknown region '\(node)' (regions: \(nodes.joined(separator: ", ")))")
            }
            let client = WANAdminClient(port: state.wan.adminPort)
            let others = b == "*" ? nodes.filter { $0 != a } : [b]
            let update = LinkConditionsUpdate(
                latencyMs: try milliseconds(latency, "--latency"), jitterMs: try milliseconds(jitter, "--jitter"),
                loss: loss, partitioned: partition ? true : heal ? false : nil)
            for other in others {
                let link = try await client.setLink(a, other, update)
                print("\(link.a) <-> \(link.b): \(link.conditions)")
            }
        }
    }

    /// `drctl lab wan --plan FILE`: the WAN emulator process that `lab up` starts.
    struct WAN: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the lab's WAN emulator (started by drctl lab up).", shouldDisplay: false)
        @Option(help: "The plan file written by lab up.") var plan: String

        func run() async throws {
            var logger = Logger(label: "wan")
            logger.logLevel = .info
            try await WANDaemon.run(planFile: plan, logger: logger)
        }
    }
}
