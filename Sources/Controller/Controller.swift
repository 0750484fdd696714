import Failover
import Foundation
import Logging

/// The disaster-recovery brain (DESIGN.md §1, §3–4): probes every region from several vantage points, grants the
/// primary's write lease, decides and executes failover, switchover and rejoin, keeps the timeline and alarms.
/// It reaches the world only through the provider protocols, so the same logic drives the lab and AWS.
public actor Controller {
    let configuration: ControllerConfiguration
    var settings: ControllerSettings { configuration.settings }
    let prober: any RegionProber
    let traffic: any TrafficManager
    let replication: any DatabaseReplication
    let actions: any FailoverActions
    let logger: Logger
    let notifier: Notifier
    let timeline: TimelineFile
    let metrics: ControllerMetrics

    var state: ControllerState
    var ledger: LeaseLedger<ContinuousClock.Instant>
    var sequence: Int
    var alarms = AlarmBook()
    /// vantage → region → detector.
    var detectors: [String: [RegionName: HealthDetector]] = [:]
    /// When each reporting vantage point (edge, agents) was last heard from.
    var lastHeard: [String: ContinuousClock.Instant] = [:]
    var assessments: [RegionName: RegionAssessment] = [:]
    /// The controller's own latest answer from each region's database.
    var databases: [RegionName: DatabaseProbe] = [:]
    /// The primary's last known WAL position (for the lag bound on failover).
    var lastPrimaryLSN: LogSequenceNumber?
    var healthyRounds: [RegionName: Int] = [:]
    var dials: [RegionName: TrafficDial] = [:]
    var lastLeaseRequest: ContinuousClock.Instant?
    var noSynchronousStandbySince: ContinuousClock.Instant?
    var executing = false
    var lastNeedsOperator: String?
    var rounds = 0
    var inFlight: [RegionName: Int] = [:]
    var baselines: [String: [RegionName: BaselineLatency]] = [:]
    var lastFenced: [RegionName: ContinuousClock.Instant] = [:]

    public init(
        configuration: ControllerConfiguration, prober: any RegionProber, traffic: any TrafficManager,
        replication: any DatabaseReplication, actions: any FailoverActions, logger: Logger
    ) throws {
        try configuration.settings.validate()
        try FileManager.default.createDirectory(atPath: configuration.directory, withIntermediateDirectories: true)
        self.configuration = configuration
        self.prober = prober
        self.traffic = traffic
        self.replication = replication
        self.actions = actions
        self.logger = logger
        self.timeline = TimelineFile(path: configuration.timelineFile)
        self.notifier = Notifier(
            file: configuration.resolvedAlarmFile, webhooks: configuration.webhooks, page: configuration.page,
            deployment: configuration.directory, logger: logger)
        self.metrics = ControllerMetrics()
        let existing = try ControllerState.load(from: configuration.stateFile)
        self.state =
            existing
            ?? ControllerState(
                regions: configuration.regions, primary: configuration.initialPrimary, mode: configuration.settings.mode
            )
        self.sequence = timeline.read().last?.sequence ?? 0
        // A lease granted by an earlier life of the controller may still run: it recorded its last grant before
        // answering it; without that record, the start counts as a grant.
        self.ledger = LeaseLedger(
            startedAt: LeaseGrantRecord.lastGrant(
                LeaseGrantRecord.load(from: configuration.leaseFile), wallNow: Date(), now: ContinuousClock.now),
            duration: configuration.settings.leaseDuration, clockMargin: configuration.settings.clockMargin)
        for region in configuration.regions { dials[region] = nil }
    }

    // MARK: The timeline

    func record(
        _ kind: String, _ message: String, region: RegionName? = nil, operation: FailoverOperation? = nil,
        step: FailoverOperation.Step? = nil, details: [String: String]? = nil
    ) {
        sequence += 1
        let event = TimelineEvent(
            sequence: sequence, time: Date(), kind: kind, region: region, operation: operation?.id,
            step: step?.rawValue, message: message, details: details)
        do { try timeline.append(event) } catch {
            logger.error("cannot append to the timeline", metadata: ["error": "\(error)"])
        }
        logger.info("\(event.line)")
    }

    func save() {
        do { try state.save(to: configuration.stateFile) } catch {
            logger.error("cannot save the controller state", metadata: ["error": "\(error)"])
        }
    }

    func setAlarm(_ name: String, _ alarmState: Alarm.State, reason: String) async {
        guard let changed = alarms.set(name, alarmState, reason: reason) else { return }
        metrics.alarm(name, changed.state)
        record("alarm", "\(name) → \(changed.state.rawValue): \(reason)", details: ["alarm": name])
        await notifier.notify(changed, at: Date())
    }

    // MARK: Running

    /// Probes, assesses, decides and acts every probe interval until cancelled.
    public func run() async {
        record(
            "controller-started",
            "controller started: primary \(state.primary), epoch \(state.epoch), mode \(state.mode.rawValue)"
                + (state.operation.map { "; resuming \($0.kind.rawValue) \($0.id) at \($0.step.rawValue)" } ?? ""),
            region: state.primary)
        save()
        for alarm in ["lease-lost", "no-sync-standby"] {
            _ = alarms.set(alarm, .insufficientData, reason: "no data yet")
        }
        if state.operation == nil { _ = alarms.set("failover", .ok, reason: "no failover in progress") }
        // Probes are started every interval without waiting for slow ones (each ends by the probe timeout), so a
        // region that stops answering collects one failure per interval, like a Route 53 health checker.
        let maximumInFlight =
            Int(settings.probeTimeout.wholeMilliseconds / settings.probeInterval.wholeMilliseconds) + 1
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let started = ContinuousClock.now
                for region in state.regions where (inFlight[region] ?? 0) < maximumInFlight {
                    inFlight[region, default: 0] += 1
                    group.addTask { [prober] in
                        let observation = await prober.probe(region, vantage: "controller")
                        await self.consume(observation)
                    }
                }
                await round()
                let elapsed = started.duration(to: .now)
                if elapsed < settings.probeInterval { try? await Task.sleep(for: settings.probeInterval - elapsed) }
            }
        }
    }

    /// One of the controller's own probes has finished.
    func consume(_ observation: ProbeObservation) {
        inFlight[observation.region, default: 1] -= 1
        observe(observation)
        databases[observation.region] = observation.database
    }

    func round() async {
        rounds += 1
        // The edge's view of every region.
        let groups = try? await withTimeout(settings.probeTimeout) { [traffic] in try await traffic.endpointGroups() }
        if let groups {
            lastHeard["edge"] = .now
            for group in groups where state.regions.contains(group.region) {
                dials[group.region] = group.dial
                observe(
                    ProbeObservation(
                        region: group.region, vantage: "edge", portalReady: group.healthy, portalAnswered: nil,
                        database: nil, databaseProbed: false, latencyMilliseconds: 0))
            }
        }
        if let primary = databases[state.primary], primary.role == .primary, let lsn = primary.flushedLSN {
            lastPrimaryLSN = lsn
        }
        await assess()
        await watchReplication()
        await fenceStrayPrimaries()
        await decide()
        await steerTraffic()
        if state.operation != nil && !executing { startExecuting() }
        metrics.update(self.snapshotForMetrics())
    }

    /// Feeds one observation to its vantage point's detector.
    func observe(_ observation: ProbeObservation) {
        var relative = observation
        if observation.portalReady == true {
            var baseline = baselines[observation.vantage]?[observation.region] ?? BaselineLatency()
            baseline.record(observation.latencyMilliseconds)
            baselines[observation.vantage, default: [:]][observation.region] = baseline
            relative.latencyMilliseconds -= baseline.milliseconds
        }
        let condition = relative.condition(slowThreshold: settings.slowThreshold)
        var detector = detectors[observation.vantage]?[observation.region] ?? HealthDetector()
        let changed = detector.record(
            condition, failureThreshold: settings.failureThreshold, recoveryThreshold: settings.recoveryThreshold)
        detectors[observation.vantage, default: [:]][observation.region] = detector
        if changed {
            record(
                "vantage-verdict", "\(observation.vantage) sees \(observation.region) \(detector.verdict.rawValue)",
                region: observation.region, details: ["vantage": observation.vantage])
        }
    }

    /// Reports from the agents in the regions.
    public func report(vantage: String, observations: [ProbeObservation]) {
        guard configuration.agentRegions.contains(RegionName(vantage)) else { return }
        lastHeard[vantage] = .now
        for observation in observations where observation.vantage == vantage && observation.region.rawValue != vantage {
            observe(observation)
        }
    }

    /// Combines the fresh verdicts into each region's assessment.
    func assess() async {
        let staleAfter = max(settings.probeInterval * 5, settings.probeTimeout * 3)
        let now = ContinuousClock.now
        for region in state.regions {
            var votes: [String: RegionCondition] = [:]
            for vantage in configuration.vantagePoints(for: region) {
                if vantage != "controller" {
                    guard let heard = lastHeard[vantage], heard.duration(to: now) < staleAfter else { continue }
                }
                if let verdict = detectors[vantage]?[region]?.verdict { votes[vantage] = verdict }
            }
            let assessment = RegionAssessment.assess(
                region: region, votes: votes, vantagePoints: configuration.vantagePoints(for: region).count)
            let previous = assessments[region]?.condition
            assessments[region] = assessment
            healthyRounds[region] = assessment.condition == .healthy ? (healthyRounds[region] ?? 0) + 1 : 0
            if previous != assessment.condition {
                let kind = assessment.condition.isDown ? "region-down" : "region-\(assessment.condition.rawValue)"
                record(
                    kind,
                    "\(region) is \(assessment.condition.rawValue) by quorum \(assessment.quorum)/"
                        + "\(assessment.vantagePoints): \(assessment.votesText)", region: region)
            }
            switch assessment.condition {
            case .unknown:
                await setAlarm("region-health:\(region)", .insufficientData, reason: "not enough vantage points")
            case .healthy:
                await setAlarm("region-health:\(region)", .ok, reason: "healthy by quorum")
            case .slow:
                await setAlarm(
                    "region-health:\(region)", .alarm, reason: "slow (gray failure): \(assessment.votesText)")
            default:
                await setAlarm(
                    "region-health:\(region)", .alarm,
                    reason: "\(assessment.condition.rawValue): \(assessment.votesText)")
            }
        }
    }

    /// Replication lag, broken streams, the synchronous standby and the `degrade-after` policy; the lease alarm.
    func watchReplication() async {
        let primary = databases[state.primary]
        for region in state.standbys {
            guard let standby = databases[region] else {
                await setAlarm("replication-lag:\(region)", .insufficientData, reason: "database not reachable")
                continue
            }
            let lagBytes = zip2(lastPrimaryLSN, standby.replayedLSN).map { $0.bytes(after: $1) }
            let lagSeconds = standby.lagSeconds ?? 0
            let streaming = primary?.streaming.contains(region.rawValue)
            if state.awaitingRejoin.contains(region) {
                await setAlarm("replication-lag:\(region)", .alarm, reason: "former primary awaiting rejoin")
            } else if streaming == false && standby.role == .standby {
                await setAlarm("replication-lag:\(region)", .alarm, reason: "replication broken: not streaming")
            } else if lagSeconds > settings.replicationLagAlarm.seconds {
                await setAlarm(
                    "replication-lag:\(region)", .alarm,
                    reason: "replay \(String(format: "%.1f", lagSeconds)) s behind (\(lagBytes ?? 0) bytes)")
            } else {
                await setAlarm("replication-lag:\(region)", .ok, reason: "\(lagBytes ?? 0) bytes behind")
            }
        }
        // The lease: the primary's portals renew it every third of its duration.
        if let last = lastLeaseRequest, last.duration(to: .now) > settings.leaseDuration {
            await setAlarm("lease-lost", .alarm, reason: "the primary region has not renewed its write lease")
        } else if lastLeaseRequest != nil {
            await setAlarm("lease-lost", .ok, reason: "lease renewed by \(state.primary)")
        }
        // The synchronous standby.
        guard let primary, primary.role == .primary,
            await actions.synchronousDurability()
                || state
                    .synchronousCommitSuspended
        else {
            if primary != nil { await setAlarm("no-sync-standby", .ok, reason: "durability is not sync") }
            return
        }
        if primary.synchronous.isEmpty && !state.synchronousCommitSuspended {
            let since = noSynchronousStandbySince ?? .now
            noSynchronousStandbySince = since
            await setAlarm("no-sync-standby", .alarm, reason: "no standby acknowledges commits: writes wait")
            if case .degradeAfter(let limit) = settings.syncStandbyPolicy, since.duration(to: .now) >= limit {
                do {
                    try await actions.setSynchronousCommit(false, primary: state.primary)
                    state.synchronousCommitSuspended = true
                    save()
                    record(
                        "rpo-zero-suspended",
                        "no synchronous standby for \(limit.text): commits no longer wait; RPO 0 is suspended",
                        region: state.primary)
                    await setAlarm("no-sync-standby", .alarm, reason: "degraded to async: RPO 0 suspended")
                } catch {
                    record("degrade-failed", "could not switch to async: \(error)", region: state.primary)
                }
            }
        } else if state.synchronousCommitSuspended && !primary.streaming.isEmpty {
            do {
                try await actions.setSynchronousCommit(true, primary: state.primary)
                state.synchronousCommitSuspended = false
                noSynchronousStandbySince = nil
                save()
                record("rpo-zero-restored", "a standby streams again: commits wait for it again", region: state.primary)
            } catch {
                record("restore-failed", "could not restore synchronous commit: \(error)", region: state.primary)
            }
        } else if !primary.synchronous.isEmpty {
            noSynchronousStandbySince = nil
            await setAlarm("no-sync-standby", .ok, reason: "\(primary.synchronous.joined(separator: ",")) synchronous")
        }
    }

    /// A database that claims to be primary in a region that is not the primary (a former primary back from a
    /// crash or a partition) is made to refuse writes at once (DESIGN.md invariant 1).
    func fenceStrayPrimaries() async {
        for region in state.regions where region != state.primary {
            guard let database = databases[region], database.role == .primary, !database.readOnly else { continue }
            if let operation = state.operation, operation.to == region || operation.kind == .rejoin { continue }
            // Sessions opened before the reload still show the old setting for a moment: once per two seconds.
            if let last = lastFenced[region], last.duration(to: .now) < .seconds(2) { continue }
            lastFenced[region] = .now
            do {
                try await withTimeout(settings.probeTimeout * 4) { [actions] in try await actions.fenceDatabase(region)
                }
                record("database-fenced", "\(region)'s database claimed primary: now read-only", region: region)
            } catch {
                record(
                    "fence-failed", "could not fence \(region)'s database: \(String(reflecting: error))", region: region
                )
            }
        }
    }

    func decide() async {
        let decision = FailoverDecision.decide(
            primary: assessments[state.primary], state: state, now: Date(), cooldown: settings.cooldown)
        switch decision {
        case .none:
            lastNeedsOperator = nil
        case .needsOperator(let reason):
            if lastNeedsOperator != reason {
                lastNeedsOperator = reason
                record("failover-needed", reason + ": run drctl failover --to REGION", region: state.primary)
                await setAlarm("failover", .alarm, reason: "failover needed: " + reason)
            }
        case .failover(let reason):
            let operation = FailoverOperation(
                id: Self.operationID(), kind: .failover, from: state.primary, to: nil, force: false, step: .fence,
                startedAt: Date(), trigger: "automatic")
            state.operation = operation
            save()
            record("failover-started", "automatic failover: " + reason, region: state.primary, operation: operation)
            await setAlarm("failover", .alarm, reason: "failover \(operation.id) started: \(reason)")
        }
    }

    func steerTraffic() async {
        var conditions: [RegionName: RegionCondition] = [:]
        for (region, assessment) in assessments { conditions[region] = assessment.condition }
        // During an operation only its own traffic step moves dials.
        guard state.operation == nil else { return }
        let wanted = TrafficPolicy.dials(
            state: state, conditions: conditions, healthyRounds: healthyRounds, current: dials,
            recoveryRounds: settings.recoveryThreshold)
        for (region, dial) in wanted.sorted(by: { $0.key < $1.key }) where dials[region] != nil && dials[region] != dial
        {
            do {
                try await withTimeout(settings.probeTimeout * 4) { [traffic] in
                    try await traffic.setTrafficDial(dial, for: region)
                }
                record(
                    "traffic-dial", "\(region) dial \(dials[region]?.description ?? "?") → \(dial)", region: region,
                    details: ["condition": conditions[region]?.rawValue ?? "unknown"])
                dials[region] = dial
            } catch {
                record("traffic-dial-failed", "could not set \(region)'s dial: \(error)", region: region)
            }
        }
    }

    static func operationID() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date()) + "-" + String(UInt32.random(in: 0...0xFFFF), radix: 16)
    }

    // MARK: The lease

    /// Answers a portal's lease request.
    public func lease(for region: RegionName) -> LeaseAnswer {
        var (decision, reason) = state.leaseDecision(for: region)
        if decision == .granted {
            // Recorded before it is answered: a controller that restarts must not think the lease over early.
            do {
                let now = ContinuousClock.now
                try LeaseGrantRecord(lastGrantAt: Date()).save(to: configuration.leaseFile)
                ledger.grant(to: region, at: now)
                lastLeaseRequest = now
            } catch {
                logger.error("cannot record a lease grant", metadata: ["error": "\(error)"])
                (decision, reason) = (.fenced, "the controller cannot record the grant")
            }
        }
        return LeaseAnswer(
            decision: decision, region: region, primary: state.primary, epoch: state.epoch,
            durationMilliseconds: settings.leaseDuration.wholeMilliseconds, reason: reason)
    }
}

func zip2<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}

struct ControllerTimeout: Error, CustomStringConvertible {
    var description: String { "no answer in time" }
}

/// Runs `body`, giving up after `duration`.
func withTimeout<T: Sendable>(_ duration: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T
{
    try await withDeadline(duration, orThrow: { ControllerTimeout() }, body)
}
