import AWS
import ArgumentParser
import Controller
import Edge
import Failover
import Foundation
import Lab
import Logging

/// `drctl controller --region R`: a region's control-plane replica, of a lab (`--dir`, started by `drctl lab up`)
/// or of the AWS deployment (`--etcd-endpoints …`, an ECS task per region).
struct ControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controller",
        abstract: "Run a region's control-plane replica: of a lab (--dir) or on AWS (--etcd-endpoints).",
        discussion: """
            Every replica probes every region from its own (it is that region's vantage point) and takes part in the
            election on etcd; the leader grants the primary's lease window and fails over by itself in automatic
            mode. The state lives in etcd, so a replica started again knows the real primary, and a failover the old
            leader was executing is resumed by the new one.
            Lab: --dir DIR (drctl lab up starts one per region); settings in <dir>/controller-settings.json.
            AWS: --etcd-endpoints, --peers, --portal-url per region, --global-cluster and --listener or
            --endpoint-group (see docs/AWS.md); the bearer token from DRCTL_CONTROL_TOKEN (required) and the lease
            key from DRCTL_LEASE_SIGNING_KEY. When etcd holds no state yet, the initial primary is Aurora's writer.
            """)
    @Option(name: .customLong("dir"), help: "Lab mode: the lab's state folder.") var directory: String?
    @Option(help: "The region the replica runs in.") var region: String
    @Option(help: "Log level: debug, info, warning.") var logLevel: String = "info"
    @Flag(
        name: .customLong("page-actions"),
        help: "The status page's buttons act (each after a confirmation); without it they show the drctl command.")
    var pageActions = false
    @Option(
        name: .customLong("drill-history"),
        help: "The drill history the status page shows (JSON lines; a lab's replicas use the one lab up names).")
    var drillHistory: String?
    @OptionGroup(title: "AWS mode (without --dir)") var aws: AWSReplicaOptions

    func validate() throws {
        let name = try regionArgument(region)
        let onAWS: Bool
        do {
            onAWS = try AWSReplicaConfiguration.runsOnAWS(labDirectory: directory, awsFlags: aws.givenFlags)
        } catch {
            throw ValidationError(error.message)
        }
        if onAWS { _ = try aws.configuration(region: name, environment: ProcessInfo.processInfo.environment) }
    }

    func run() async throws {
        var logger = Logger(label: "controller")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let name = try regionArgument(region)
        if let directory {
            try await runLab(LabDirectoryOption.deployment(at: directory), region: name, logger: logger)
        } else {
            let configuration = try aws.configuration(region: name, environment: ProcessInfo.processInfo.environment)
            try await runOnAWS(
                configuration, page: StatusPageSettings(actions: pageActions, drillHistory: drillHistory),
                logger: logger)
        }
    }

    func runLab(_ deployment: LabDeployment, region name: RegionName, logger: Logger) async throws {
        let state = try deployment.state()
        let settings = try deployment.controllerSettings()
        guard let edge = state.edge else { throw ValidationError("the lab in \(deployment.directory) has no edge") }
        let wiring = try LabControlPlaneWiring(region: name, in: state)
        var configuration = ControllerConfiguration(
            directory: wiring.directory, port: wiring.port, region: name, regions: state.regions.map(\.name),
            initialPrimary: state.primary, settings: settings, peers: wiring.peers,
            etcdEndpoints: wiring.etcdEndpoints)
        configuration.token = state.controlToken
        configuration.leaseSigningKey = state.leaseSigningKey
        if let notifications = try ControllerConfiguration.Notifications.load(fromLab: deployment.directory) {
            configuration.apply(notifications)
        }
        configuration.statusPage = try StatusPageSettings.load(fromLab: deployment.directory) ?? StatusPageSettings()
        configuration.statusPage.actions = configuration.statusPage.actions || pageActions
        if let drillHistory { configuration.statusPage.drillHistory = drillHistory }
        let admin = EdgeAdminClient(baseURL: edge.adminURL, token: edge.adminToken)
        let replication = LabReplication(deployment: deployment, logger: logger)
        let replica = try ControllerReplica(
            configuration: configuration,
            prober: LabProber(targets: wiring.targets, timeout: settings.probeTimeout, logger: logger),
            traffic: EdgeTrafficManager(admin: admin), replication: replication, actions: replication, logger: logger)
        try await ControllerServer.run(replica, host: "127.0.0.1", port: wiring.port, logger: logger) {
            guard let text = try? await admin.metricsText() else { return nil }
            return StatusFeed.edgeRequestCounts(fromPrometheusText: text)
        }
    }
}

/// The options every command that talks to a lab's controller shares.
struct ControllerOptions: ParsableArguments {
    @OptionGroup var lab: LabDirectoryOption

    func client() throws -> ControllerClient {
        try lab.deployment().state().controllerClient
    }
}

extension LabState {
    /// A client of this lab's control plane (every replica, with its token).
    var controllerClient: ControllerClient { ControllerClient(baseURLs: controllerURLs, token: controlToken) }
}

func regionArgument(_ text: String) throws -> RegionName {
    let region = RegionName(text)
    guard region.isWellFormed else { throw ValidationError("'\(text)' is not a region name such as eu-west-1") }
    return region
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Regions, roles, health from each vantage point, lag, lease, dials, mode, alarms, last events.")
    @OptionGroup var options: ControllerOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let status = try await options.client().status()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        print(StatusTable.render(status))
    }
}

enum StatusTable {
    static func render(_ status: ControllerStatus) -> String {
        var lines: [String] = []
        let vantages = Array(Set(status.regions.flatMap(\.votes.keys))).sorted { a, b in
            let order = ["edge": 0]
            return (order[a] ?? 2, a) < (order[b] ?? 2, b)
        }
        lines.append(
            "control plane: leader \(status.leader) (term \(status.term)); replicas "
                + status.controllers.map { "\($0.region)\($0.leader ? "*" : "")" }.joined(separator: " ")
                + "; etcd " + status.etcd.map { $0.healthy ? "up" : "DOWN" }.joined(separator: " "))
        lines.append(
            "primary \(status.primary)  epoch \(status.epoch)  mode \(status.mode.rawValue)  lease "
                + (status.lease.holder.map { "\($0) (\(status.lease.remainingMilliseconds) ms left)" } ?? "none")
                + (status.synchronousCommitSuspended ? "  RPO 0 SUSPENDED" : ""))
        if let operation = status.operation {
            lines.append(
                "operation \(operation.id): \(operation.kind.rawValue) \(operation.from) → "
                    + "\(operation.to?.rawValue ?? "?") at step \(operation.step.rawValue)")
        }
        var rows = [["REGION", "ROLE", "HEALTH", "VOTES", "LAG", "DIAL", "NOTES"]]
        for region in status.regions {
            let votes = vantages.map { "\($0)=\(region.votes[$0]?.rawValue ?? "-")" }.joined(separator: " ")
            var notes: [String] = []
            if region.drained { notes.append("drained") }
            if region.awaitingRejoin { notes.append("awaiting rejoin") }
            if region.readOnly == true { notes.append("read-only") }
            rows.append([
                region.name.rawValue, region.role.rawValue, region.condition.rawValue, votes,
                region.lagBytes.map { "\($0) B" } ?? "-", region.dial.map { "\($0)%" } ?? "-",
                notes.joined(separator: ", "),
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(
                row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        let alarms = status.alarms.filter { $0.state != .ok }
        lines.append(
            "alarms: "
                + (alarms.isEmpty
                    ? "all OK"
                    : alarms.map { "\($0.name) \($0.state.rawValue) (\($0.reason))" }.joined(separator: "; ")))
        lines.append("last events:")
        lines += status.recentEvents.map { "  " + $0.line }
        return lines.joined(separator: "\n")
    }
}

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "The controller's timeline (every detection, decision and action).")
    @OptionGroup var options: ControllerOptions
    @Flag(help: "Keep printing new events.") var follow = false
    @Flag(help: "One JSON object per line.") var json = false

    func run() async throws {
        let client = try options.client()
        var last = 0
        repeat {
            for event in try await client.events(after: last) {
                print(json ? TimelineFile.json(event) : event.line)
                last = event.sequence
            }
            if follow { try await Task.sleep(for: .milliseconds(300)) }
        } while follow
    }
}

struct FailoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Unplanned failover to REGION: fence, select, promote, repoint, move the writer, shift traffic.",
        discussion: """
            Refused when the target lags the old primary beyond max-lag-on-failover (writes would be lost) unless
            --force. Continues a failover that the controller holds blocked. Prints each step as it happens.
            """)
    @OptionGroup var options: ControllerOptions
    @Option(help: "The region to promote.") var to: String
    @Flag(help: "Accept losing the writes the target has not replayed.") var force = false

    func run() async throws {
        let region = try regionArgument(to)
        let client = try options.client()
        let operation = try await client.failover(to: region, force: force)
        print("failover \(operation.id) started: \(operation.from) → \(region)")
        try await client.waitForOperation(operation.id) { print($0.line) }
    }
}

struct SwitchoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchover",
        abstract: "Planned switchover to REGION with zero loss; the old primary becomes a standby.")
    @OptionGroup var options: ControllerOptions
    @Option(help: "The region to promote.") var to: String

    func run() async throws {
        let region = try regionArgument(to)
        let client = try options.client()
        let operation = try await client.switchover(to: region)
        print("switchover \(operation.id) started: \(operation.from) → \(region)")
        try await client.waitForOperation(operation.id) { print($0.line) }
    }
}

struct RejoinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rejoin",
        abstract: "Bring a former primary back as a standby (pg_rewind, else a fresh pg_basebackup).")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "The region to rejoin.") var region: String

    func run() async throws {
        let name = try regionArgument(region)
        let client = try options.client()
        let operation = try await client.rejoin(name)
        print("rejoin \(operation.id) started: \(name)")
        try await client.waitForOperation(operation.id) { print($0.line) }
    }
}

extension ControllerMode: ExpressibleByArgument {}

struct ModeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mode",
        abstract: "automatic: the controller fails over by itself; manual: it alarms and a person decides.",
        discussion: "drctl mode manual is also the Andon cord: no new automatic failover starts.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "automatic or manual.") var mode: ControllerMode

    func run() async throws {
        try await options.client().setMode(mode)
        print("mode \(mode.rawValue)")
    }
}

struct DrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain", abstract: "Take a region's traffic away (dial 0) until drctl undrain.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "The region.") var region: String

    func run() async throws {
        let name = try regionArgument(region)
        try await options.client().setDrained(name, true)
        print("\(name) drained")
    }
}

struct UndrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undrain", abstract: "Give a drained region its traffic back.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "The region.") var region: String

    func run() async throws {
        let name = try regionArgument(region)
        try await options.client().setDrained(name, false)
        print("\(name) undrained")
    }
}

struct FaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fault",
        abstract: "Inject a fault into a lab region, or heal it.",
        discussion: """
            Faults: crash (SIGKILL every process of the region), freeze (SIGSTOP), partition (cut every WAN link of
            the region), slow=200ms (add that one-way latency to every link of the region), db-crash, portal-crash,
            controller-crash (the region's control-plane replica), etcd-crash (the region's etcd member).
            --heal thaws, restores the links and restarts what was killed.
            """)
    @OptionGroup var lab: LabDirectoryOption
    @Argument(help: "The region.") var region: String
    @Argument(help: "crash, freeze, partition, slow=200ms, db-crash, portal-crash, controller-crash or etcd-crash.")
    var fault: String?
    @Flag(help: "Undo every fault of the region.") var heal = false

    func validate() throws {
        _ = try regionArgument(region)
        guard (fault == nil) == heal else { throw ValidationError("give a fault or --heal (not both)") }
        if let fault, Self.parse(fault) == nil {
            throw ValidationError(
                "unknown fault '\(fault)': use crash, freeze, partition, slow=200ms, db-crash, portal-crash, "
                    + "controller-crash or etcd-crash")
        }
    }

    static func parse(_ text: String) -> Fault? {
        switch text {
        case "crash": return .crash
        case "freeze": return .freeze
        case "partition": return .partition
        case "db-crash": return .databaseCrash
        case "portal-crash": return .portalCrash
        case "controller-crash": return .controllerCrash
        case "etcd-crash": return .etcdCrash
        default:
            guard text.hasPrefix("slow="), let duration = Duration(text: String(text.dropFirst(5))),
                duration > .zero, duration <= .seconds(10)
            else { return nil }
            return .slow(milliseconds: Int(duration.wholeMilliseconds))
        }
    }

    func run() async throws {
        var logger = Logger(label: "drctl.fault")
        logger.logLevel = .warning
        let injector = LabFaultInjector(deployment: lab.deployment(), logger: logger)
        let name = RegionName(region)
        _ = try lab.deployment().state().region(name)
        if heal {
            try await injector.heal(name)
            print("\(name) healed")
        } else if let fault, let parsed = Self.parse(fault) {
            try await injector.inject(parsed, into: name)
            print("\(name): \(parsed) injected")
        }
    }
}

struct UICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Print the URL of the leader's status page (it carries the control token: treat it as a secret).",
        discussion: """
            Opening the URL signs the browser in (a session cookie, then the token leaves the address bar); every
            replica serves the page at /ui, the leader's shows changes first. Without the token /ui answers 401 with
            a login form.
            """)
    @OptionGroup var options: ControllerOptions

    func run() async throws {
        let state = try options.lab.deployment().state()
        let status = try await state.controllerClient.status()
        guard let url = state.regions.first(where: { $0.name == status.leader })?.controller?.url else {
            throw ValidationError("the leader (\(status.leader)) is not a replica of this lab")
        }
        let token = state.controlToken.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        print("\(url)/ui?token=\(token)")
    }
}
