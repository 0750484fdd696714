import Controller
import Failover
import Foundation
import Lab
import LocalPostgres
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// What `drctl drill` does (issue 6): for each scenario, a lab (fresh, or the running one), the recorded
/// open-loop workload through the edge, the fault at 30 % of the run, the controller's recovery, the checker,
/// and a report; the lab is taken down unless kept.
public struct DrillRunner: Sendable {
    public struct Options: Sendable {
        public var scenarios: [DrillScenario] = [.regionCrash]
        public var durability: Durability = .sync
        public var regions: [RegionName] = ["us-east-1", "eu-west-1", "ap-southeast-2"]
        public var duration: Duration = .seconds(30)
        /// 20 requests a second: at 50 a lab of debug builds on two cores (three regions with their portals,
        /// databases, etcd members and control-plane replicas, the edge and the WAN emulator) is saturated before
        /// any fault — answers took 0.4–1.9 s at the median, probes timed out and regions were judged down with
        /// nothing injected — so the drill measured overload, not failover. At 20 the median is about 0.1 s.
        public static let defaultRate: Double = 20
        public var rate: Double = defaultRate
        /// Nil: `rto=5s,rpo=0` in sync mode, `rto=5s` otherwise.
        public var objectives: Objectives?
        /// Where reports go: one folder per scenario below it.
        public var reportDirectory: String
        /// The drill history every run is appended to (the runbook shows it); nil for none.
        public var historyFile: String?
        /// A running lab to use instead of a fresh one.
        public var labDirectory: String?
        public var keep = false
        public var latencyScale: Double = 1
        /// A fresh lab's bcrypt cost: at 8 this machine's debug build hashes about 40 times a second, so the
        /// default workload's hashing (about 8 a second) leaves room for the lab's other processes.
        public static let defaultBcryptCost = 8
        public var bcryptCost = defaultBcryptCost
        public var portalExecutable: String?
        public var controlExecutable: String?
        /// The controller's settings for a fresh lab.
        public var controllerSettings = ControllerSettings()

        public init(reportDirectory: String) { self.reportDirectory = reportDirectory }

        var resolvedObjectives: Objectives {
            get throws(DrillError) {
                if let objectives { return objectives }
                return try Objectives(parsing: durability == .sync ? "rto=5s,rpo=0" : "rto=5s")
            }
        }
    }

    /// One scenario's outcome.
    public struct Outcome: Sendable {
        public var report: DrillReport
        public var files: DrillReport.Files
    }

    public let options: Options
    let logger: Logger
    let progress: @Sendable (String) -> Void

    public init(options: Options, logger: Logger, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.options = options
        self.logger = logger
        self.progress = progress
    }

    /// Runs every scenario; one that cannot complete (the controller never reports what it waits for, say) is
    /// listed in `failures` and the others still run.
    public func run() async throws -> [Outcome] {
        try await runAll().outcomes
    }

    public func runAll() async throws -> (outcomes: [Outcome], failures: [(DrillScenario, String)]) {
        var outcomes: [Outcome] = []
        var failures: [(DrillScenario, String)] = []
        for scenario in options.scenarios {
            do { outcomes.append(try await run(scenario)) } catch {
                if options.scenarios.count == 1 { throw error }
                progress("[\(scenario.rawValue)] could not complete: \(error)")
                failures.append((scenario, "\(error)"))
            }
        }
        return (outcomes, failures)
    }

    func run(_ scenario: DrillScenario) async throws -> Outcome {
        let directory =
            options.labDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent(
                "drill-\(scenario.rawValue)-\(UUID().uuidString.prefix(8))"
            ).path
        let deployment = LabDeployment(directory: directory, logger: logger)
        if options.labDirectory == nil {
            progress("[\(scenario.rawValue)] bringing up a lab in \(directory)")
            var configuration = LabConfiguration()
            configuration.directory = directory
            configuration.regions = options.regions
            configuration.primary = options.regions[0]
            configuration.durability = options.durability
            configuration.latencyScale = options.latencyScale
            configuration.bcryptCost = options.bcryptCost
            configuration.portalExecutable = options.portalExecutable
            configuration.controlExecutable = options.controlExecutable
            configuration.controllerSettings = options.controllerSettings
            _ = try await deployment.up(configuration)
        }
        do {
            let outcome = try await runScenario(scenario, in: deployment)
            if options.labDirectory == nil && !options.keep { try await deployment.down(purge: true) }
            return outcome
        } catch {
            if options.labDirectory == nil && !options.keep {
                // The lab's folder goes with the purge: keep what says why the scenario did not complete.
                let kept = keepEvidence(of: scenario, from: directory)
                _ = try? await deployment.down(purge: true)
                if let kept { throw DrillError(.scenarioIncomplete, "\(error) (the lab's logs: \(kept))") }
            }
            throw error
        }
    }

    /// Copies the lab's logs and the controller's folder (timeline, state, alarms) into the scenario's report
    /// folder; where they went, or nil when nothing could be copied.
    func keepEvidence(of scenario: DrillScenario, from directory: String) -> String? {
        let target = (options.reportDirectory as NSString).appendingPathComponent("\(scenario.rawValue)/lab")
        let files = FileManager.default
        guard (try? files.createDirectory(atPath: target, withIntermediateDirectories: true)) != nil else { return nil }
        var copied = false
        for name in ["logs", "controller"] {
            let source = (directory as NSString).appendingPathComponent(name)
            if (try? files.copyItem(atPath: source, toPath: (target as NSString).appendingPathComponent(name))) != nil {
                copied = true
            }
        }
        return copied ? target : nil
    }

    func runScenario(_ scenario: DrillScenario, in deployment: LabDeployment) async throws -> Outcome {
        let state = try deployment.state()
        guard let edge = state.edge else { throw DrillError(.invalidArgument, "the lab has no edge") }
        let controller = ControllerClient(baseURLs: state.controllerURLs, token: state.controlToken)
        let faults = LabFaultInjector(deployment: deployment, logger: logger)
        let primary = try await controller.status().primary
        let standby = state.regions.map(\.name).first { $0 != primary }!
        var workloadConfiguration = WorkloadConfiguration(baseURL: edge.url)
        workloadConfiguration.rate = options.rate
        workloadConfiguration.duration = options.duration + scenario.setUpAllowance
        workloadConfiguration.runTag = scenario.rawValue.filter { $0.isLetter || $0.isNumber }
        let workload = try Workload(configuration: workloadConfiguration, logger: logger)
        let running = Task { try await workload.run() }
        let ticker = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                let now = await workload.progress()
                progress(
                    "[\(scenario.rawValue)] \(String(format: "%5.1f", now.elapsed)) s  sent \(now.sent)  ok \(now.ok)  "
                        + "failed \(now.failed)  unknown \(now.indeterminate)  in flight \(now.inFlight)")
            }
        }
        defer { ticker.cancel() }
        // The fault comes at 30 % of the open loop.
        while await workload.openLoopStarted() == nil {
            try await Task.sleep(for: .milliseconds(100))
            if running.isCancelled { break }
        }
        try await Task.sleep(for: options.duration * 0.3)
        if scenario.needsLeaderInPrimaryRegion {
            // The fault time below is the crash's, not the start of this set-up.
            try await moveLeader(to: primary, deployment: deployment, faults: faults, controller: controller)
        }
        let before = try await controller.status()
        var lag: [String: Double] = [:]
        for region in before.regions { lag[region.name.rawValue] = region.lagSeconds ?? 0 }
        let startedAt = await workload.startedAt()
        // The timeline's position first (reading it can take a second): the fault time is taken right before the
        // injection, so a write answered in between no longer counts as sent after the fault.
        let sequenceAtFault = try await controller.events().last?.sequence ?? 0
        let faultDate = Date()
        let faultTime = faultDate.timeIntervalSince(startedAt)
        let (faultName, faultRegion) = try await inject(
            scenario, primary: primary, standby: standby, deployment: deployment, faults: faults,
            controller: controller, after: sequenceAtFault)
        let history = try await running.value
        ticker.cancel()
        try await settle(
            scenario, primary: primary, faultRegion: faultRegion, faults: faults, controller: controller,
            after: sequenceAtFault)
        progress("[\(scenario.rawValue)] checking \(history.operations.count) requests")
        // Writes a fenced primary accepted: rows its database holds from after its fence.
        var observations = try await Verifier(configuration: .init(baseURL: edge.url), logger: logger).verify(history)
        let events = try await controller.events()
        let awaitingRejoin = Set(try await controller.status().regions.filter(\.awaitingRejoin).map(\.name))
        observations.fencedPrimaryWrites = try await fencedWrites(
            events: events, after: sequenceAtFault, in: awaitingRejoin, deployment: deployment)
        let check = Checker.check(history: history, observations: observations)
        let detection = events.first {
            $0.sequence > sequenceAtFault && $0.kind.isDetection
                && $0.region == faultRegion
        }
        let context = DrillContext(
            scenario: scenario.rawValue, durability: options.durability.rawValue,
            fault: DrillEvent(time: faultTime, name: faultName, detail: "\(faultRegion)"),
            detectionTime: detection.map { $0.time.timeIntervalSince(startedAt) },
            timeline: events.filter { $0.sequence > sequenceAtFault && $0.kind != .vantageVerdict }.map {
                DrillEvent(date: $0.time, drillStartedAt: startedAt, name: $0.kind.rawValue, detail: $0.message)
            },
            replicationLagBeforeFault: lag)
        let report = DrillReport(
            history: history, check: check, context: context, objectives: try options.resolvedObjectives)
        let folder = (options.reportDirectory as NSString).appendingPathComponent(scenario.rawValue)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let files = try report.write(to: folder, history: history)
        if let historyFile = options.historyFile {
            let relative = Self.relativePath(from: historyFile, to: files.markdown)
            try report.appendRecord(to: historyFile, report: relative)
        }
        return Outcome(report: report, files: files)
    }

    /// Injects the scenario's fault and waits for the controller's answer to it; returns the fault's name and
    /// the region it hit.
    func inject(
        _ scenario: DrillScenario, primary: RegionName, standby: RegionName, deployment: LabDeployment,
        faults: LabFaultInjector, controller: ControllerClient, after sequence: Int
    ) async throws -> (String, RegionName) {
        let wait = options.duration + .seconds(60)
        switch scenario {
        case .regionCrash:
            try await faults.inject(.crash, into: primary)
            try await waitFor(.failoverFinished, controller, after: sequence, limit: wait)
            return ("crash", primary)
        case .regionPartition:
            try await faults.inject(.partition, into: primary)
            try await waitFor(.failoverFinished, controller, after: sequence, limit: wait)
            return ("partition", primary)
        case .regionFreeze:
            try await faults.inject(.freeze, into: primary)
            try await waitFor(.failoverFinished, controller, after: sequence, limit: wait)
            try await faults.heal(primary)
            return ("freeze", primary)
        case .databaseCrash:
            try await faults.inject(.databaseCrash, into: primary)
            try await waitFor(.failoverFinished, controller, after: sequence, limit: wait)
            return ("db-crash", primary)
        case .portalCrash:
            try await faults.inject(.portalCrash, into: primary)
            return ("portal-crash", primary)
        case .standbyCrash:
            try await faults.inject(.crash, into: standby)
            return ("crash", standby)
        case .slowRegion:
            try await faults.inject(.slow(milliseconds: 200), into: standby)
            return ("slow=200ms", standby)
        case .flapping:
            for round in 0..<3 {
                try await faults.inject(.portalCrash, into: standby)
                try await Task.sleep(for: .seconds(2))
                try await faults.heal(standby)
                if round < 2 { try await Task.sleep(for: .seconds(2)) }
            }
            return ("flapping", standby)
        case .switchover:
            let there = try await controller.switchover(to: standby)
            try await controller.waitForOperation(there.id) { _ in }
            let back = try await controller.switchover(to: primary)
            try await controller.waitForOperation(back.id) { _ in }
            return ("switchover", primary)
        case .failback:
            try await faults.inject(.crash, into: primary)
            try await waitFor(.failoverFinished, controller, after: sequence, limit: wait)
            try await faults.heal(primary)
            let rejoin = try await controller.rejoin(primary)
            try await controller.waitForOperation(rejoin.id) { _ in }
            let home = try await controller.switchover(to: primary)
            try await controller.waitForOperation(home.id) { _ in }
            return ("crash", primary)
        case .leaderCrash:
            let leader = try await controller.status().leader
            try await faults.inject(.controllerCrash, into: leader)
            try await waitFor(.controllerStarted, controller, after: sequence, limit: wait)
            return ("controller-crash", leader)
        case .leaderRegionCrash:
            try await faults.inject(.crash, into: primary)
            try await waitFor(.failoverFinished, controller, after: sequence, limit: wait)
            return ("crash", primary)
        case .etcdMemberLoss:
            try await faults.inject(.etcdCrash, into: standby)
            return ("etcd-crash", standby)
        case .controllerCrash:
            try await faults.inject(.freeze, into: primary)
            try await waitFor(.stepStarted, controller, after: sequence, limit: wait)
            // The leading replica is killed mid-failover (and started again): another one resumes the failover.
            var state = try deployment.state()
            let leader = try await controller.status().leader
            if let record = try state.region(leader).controller?.process { kill(record.pid, SIGKILL) }
            try await Task.sleep(for: .milliseconds(500))
            try await deployment.startReplica(leader, control: options.controlExecutable, state: &state)
            try await waitFor(.failoverFinished, controller, after: sequence, limit: wait)
            try await faults.heal(primary)
            return ("freeze + controller crash", primary)
        }
    }

    /// After the workload: heal what is still broken so every database can be read.
    func settle(
        _ scenario: DrillScenario, primary: RegionName, faultRegion: RegionName, faults: LabFaultInjector,
        controller: ControllerClient, after sequence: Int
    ) async throws {
        switch scenario {
        case .regionCrash, .regionPartition, .databaseCrash, .portalCrash, .standbyCrash, .slowRegion, .leaderCrash,
            .leaderRegionCrash, .etcdMemberLoss:
            try await faults.heal(faultRegion)
        default: break
        }
    }

    /// Makes `region`'s replica the leader: every other replica is killed until it leads, then started again (it
    /// would hand the lead over after leading 5 s in the primary's region; the fault comes before that).
    func moveLeader(
        to region: RegionName, deployment: LabDeployment, faults: LabFaultInjector, controller: ControllerClient
    ) async throws {
        if (try? await controller.status().leader) == region { return }
        let others = try deployment.state().regions.map(\.name).filter { $0 != region }
        for other in others { try await faults.inject(.controllerCrash, into: other) }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if (try? await controller.status().leader) == region {
                for other in others { try await faults.heal(other) }
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw DrillError(.scenarioIncomplete, "\(region)'s replica did not take the lead within 20 s")
    }

    func waitFor(_ kind: TimelineEvent.Kind, _ controller: ControllerClient, after sequence: Int, limit: Duration)
        async throws
    {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let events = try? await controller.events(after: sequence), events.contains(where: { $0.kind == kind }) {
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw DrillError(.invalidArgument, "the controller did not report \(kind) within \(limit)")
    }

    /// Rows that a former primary's database took after it was fenced (the lease surely over, or the database
    /// made read-only): each is a write a fenced primary accepted (DESIGN.md invariant 1). Only former primaries
    /// that have not rejoined count: a rejoined one replicates the new primary's writes.
    func fencedWrites(
        events: [Failover.TimelineEvent], after sequence: Int, in regions: Set<RegionName>, deployment: LabDeployment
    ) async throws -> [FencedWrite] {
        var found: [FencedWrite] = []
        let fences = events.filter {
            $0.sequence > sequence && $0.kind.endsFence
                && $0.step == "fence"
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for fence in fences {
            guard let region = fence.region, regions.contains(region) else { continue }
            let port = try deployment.state().region(region).postgres.port
            let since = formatter.string(from: fence.time)
            let sql = """
                SELECT 'account ' || email || ' at ' || created_at FROM accounts WHERE created_at > '\(since)'
                UNION ALL SELECT 'session ' || id || ' at ' || created_at FROM sessions WHERE created_at > '\(since)'
                UNION ALL SELECT 'audit ' || kind || ' at ' || occurred_at FROM audit_events
                          WHERE occurred_at > '\(since)'
                """
            // The database may be down for good (a crash): then it took nothing.
            guard
                let output = try? await PostgresTools.psql(
                    sql.replacingOccurrences(of: "\n", with: " "), port: port, database: "portal")
            else { continue }
            for line in output.split(separator: "\n") where !line.isEmpty {
                found.append(FencedWrite(region: region.rawValue, time: nil, detail: String(line)))
            }
        }
        return found
    }

    static func relativePath(from file: String, to target: String) -> String {
        let base = URL(fileURLWithPath: file).deletingLastPathComponent().standardizedFileURL.pathComponents
        let path = URL(fileURLWithPath: target).standardizedFileURL.pathComponents
        var common = 0
        while common < min(base.count, path.count) && base[common] == path[common] { common += 1 }
        return (Array(repeating: "..", count: base.count - common) + path[common...]).joined(separator: "/")
    }
}
