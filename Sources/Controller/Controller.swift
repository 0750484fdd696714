import Failover
import Foundation
import Logging

/// The disaster-recovery brain of the leading replica (DESIGN.md §1, §3–4): assesses every region from the
/// vantage points' probes, decides and executes failover, switchover and
/// rejoin, keeps the timeline and alarms. One instance lives for one leader term (`ControllerReplica` makes it
/// when its replica wins the election and drops it when the term ends); everything it must remember is in etcd,
/// written through transactions fenced by the term. It reaches the world only through the provider protocols, so
/// the same logic drives the lab and AWS.
public actor Controller {
    let configuration: ControllerConfiguration
    var settings: ControllerSettings { configuration.settings }
    let prober: any RegionProber
    let traffic: any TrafficManager
    let replication: any DatabaseReplication
    let actions: any FailoverActions
    let logger: Logger
    let notifier: Notifier
    let store: ControlStore
    /// The leader term this instance acts for (the election key's create revision).
    public let term: Int64
    let metrics: ControllerMetrics
    /// The timeline (loaded from etcd when the term began), and what is not yet written to etcd.
    var timeline: [TimelineEvent]
    var unflushed: [TimelineEvent] = []
    /// How much of the timeline a leader keeps in memory (all of it stays in etcd).
    public static let timelineInMemory = 2000
    /// Set when a fenced write failed: the term is over (or cannot be proved), nothing more is done.
    public private(set) var deposed = false
    /// When the last fenced write that succeeded was sent.
    var provenAt: ContinuousClock.Instant?
    /// Until when the replica's etcd session surely runs: the election key is attached to it, so no other replica
    /// can lead before then.
    let sessionHorizon: @Sendable () async -> ContinuousClock.Instant?
    /// Told of every state this term saved: (state, revision, when the write was sent).
    let saved: @Sendable (ControllerState, Int64, ContinuousClock.Instant) async -> Void
    var executor: Task<Void, Never>?
    /// The plan of the operation in progress (`state.operation` as it runs).
    var execution: FailoverExecution?

    public internal(set) var state: ControllerState
    var sequence: Int
    var alarms = AlarmBook()
    /// vantage → region → detector.
    var detectors: [String: [RegionName: HealthDetector]] = [:]
    /// When each reporting vantage point (edge, agents) was last heard from.
    var lastHeard: [String: ContinuousClock.Instant] = [:]
    var assessments: [RegionName: RegionAssessment] = [:]
    /// The vantage points whose votes are set aside (`RegionAssessment.isolated`).
    var isolatedVantagePoints: Set<String> = []
    /// The controller's own latest answer from each region's database.
    var databases: [RegionName: DatabaseProbe] = [:]
    /// The primary's last known WAL position (for the lag bound on failover).
    var lastPrimaryLSN: LogSequenceNumber?
    var healthyRounds: [RegionName: Int] = [:]
    var dials: [RegionName: TrafficDial] = [:]
    /// The standbys this term has pointed at a failover's target.
    var repointed: Set<Repointed> = []
    /// The likely target being made ready while a failover's fence runs (`prepareLikelyTarget`).
    var preparation: (operation: String, task: Task<RegionName?, Never>)?
    var lastLeaseRequest: ContinuousClock.Instant?
    var synchronousStandby: SynchronousStandbyWatch
    var executing = false
    var lastNeedsOperator: String?
    var rounds = 0
    var inFlight: [RegionName: Int] = [:]
    var baselines: [String: [RegionName: BaselineLatency]] = [:]
    var lastFenced: [RegionName: ContinuousClock.Instant] = [:]
    /// The epoch this term has bound the primary's database to (`bindPrimaryEpoch`), and whether a failure to do so
    /// is on the timeline.
    var boundEpoch: (region: RegionName, epoch: Int)?
    var bindFailureRecorded = false
    /// The operations whose fence step made the old primary's database refuse writes.
    var databaseFenced: Set<String> = []

    init(
        configuration: ControllerConfiguration, store: ControlStore, term: Int64, state: ControllerState,
        timeline: [TimelineEvent], metrics: ControllerMetrics, prober: any RegionProber,
        traffic: any TrafficManager, replication: any DatabaseReplication, actions: any FailoverActions,
        sessionHorizon: @escaping @Sendable () async -> ContinuousClock.Instant?,
        saved: @escaping @Sendable (ControllerState, Int64, ContinuousClock.Instant) async -> Void,
        logger: Logger
    ) throws {
        try configuration.settings.validate()
        self.sessionHorizon = sessionHorizon
        self.saved = saved
        try FileManager.default.createDirectory(atPath: configuration.directory, withIntermediateDirectories: true)
        self.configuration = configuration
        self.store = store
        self.term = term
        self.prober = prober
        self.traffic = traffic
        self.replication = replication
        self.actions = actions
        self.logger = logger
        self.timeline = timeline
        self.notifier = Notifier(
            file: configuration.resolvedAlarmFile, webhooks: configuration.webhooks, page: configuration.page,
            deployment: configuration.directory, logger: logger)
        self.metrics = metrics
        self.state = state
        self.sequence = timeline.last?.sequence ?? 0
        self.synchronousStandby = SynchronousStandbyWatch(policy: configuration.settings.syncStandbyPolicy)
        for region in configuration.regions { dials[region] = nil }
    }

    // MARK: The timeline

    func record(
        _ kind: TimelineEvent.Kind, _ message: String, region: RegionName? = nil, operation: FailoverOperation? = nil,
        step: FailoverOperation.Step? = nil, details: [String: String]? = nil
    ) {
        guard !deposed else { return }
        sequence += 1
        let event = TimelineEvent(
            sequence: sequence, time: Date(), kind: kind, region: region, operation: operation?.id,
            step: step?.rawValue, message: message, details: details)
        timeline.append(event)
        if timeline.count > Self.timelineInMemory * 2 { timeline.removeFirst(timeline.count - Self.timelineInMemory) }
        unflushed.append(event)
        logger.info("\(event.line)")
    }

    /// Writes the timeline's new events to etcd, in order, fenced by the term (off the decision path).
    func flushTimeline() async {
        while !Task.isCancelled && !deposed {
            let batch = unflushed
            if batch.isEmpty {
                try? await Task.sleep(for: .milliseconds(50))
                continue
            }
            do {
                try await fenced { [store, term] in try await store.append(batch, term: term) }
                unflushed.removeFirst(batch.count)
            } catch {
                depose("cannot append to the timeline in etcd: \(error)")
            }
        }
    }

    /// Waits (up to a second) until the timeline has written every event to etcd: a leader that hands the lead
    /// over does so first, since the next leader continues from the timeline in etcd and an event it never saw
    /// would be lost to every client (`drctl switchover` waits for the operation's `switchover-finished`).
    public func awaitTimelineFlushed() async {
        let deadline = ContinuousClock.now + .seconds(1)
        while !unflushed.isEmpty, !deposed, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Saves the state in etcd through a transaction fenced by the term; when that fails, the term is over for
    /// this instance: it stops deciding and acting.
    func save() async {
        guard !deposed else { return }
        let state = self.state
        let sentAt = ContinuousClock.now
        do {
            let revision = try await fenced { [store, term] in try await store.save(state, term: term) }
            await saved(state, revision, sentAt)
        } catch {
            depose("cannot save the controller state in etcd: \(error)")
        }
    }

    /// Runs a fenced write; while etcd cannot answer (a raft election after a member was lost takes a few seconds)
    /// it is tried again for up to 3 s before the term is given up. A refusal (`Deposed`) is final at once.
    @discardableResult
    func fenced<Result: Sendable>(_ write: @Sendable () async throws -> Result) async throws -> Result {
        let giveUpAt = ContinuousClock.now + .seconds(3)
        while true {
            let sentAt = ContinuousClock.now
            do {
                let result = try await write()
                provenAt = sentAt
                return result
            } catch let error as ControlStore.Deposed {
                throw error
            } catch {
                guard ContinuousClock.now < giveUpAt, !Task.isCancelled, !deposed else { throw error }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Proves the term still leads right before an action on the world; throws when it does not. The proof is
    /// a fenced transaction, unless one succeeded in the last 2 s and the replica's etcd session surely still runs:
    /// the election key is attached to that session, so no other replica can have taken it meanwhile (and the
    /// plan does not pay a round trip to the etcd majority, across the WAN, per step).
    func confirmLeadership() async throws {
        guard !deposed else { throw ControlStore.Deposed(term: term) }
        if let provenAt, provenAt.duration(to: .now) < .seconds(2), let horizon = await sessionHorizon(),
            ContinuousClock.now < horizon
        {
            return
        }
        do {
            try await fenced { [store, term] in try await store.confirm(term: term) }
        } catch {
            depose("cannot prove the term in etcd: \(error)")
            throw ControlStore.Deposed(term: term)
        }
    }

    /// The replica moved etcd's raft leadership out of the primary's region.
    func noteRaftLeaderMoved(from: String, to: String) {
        record(
            .etcdLeaderMoved,
            "etcd's raft leader moved from \(from)'s member to \(to)'s: the primary's region no longer holds it")
    }

    func depose(_ reason: String) {
        guard !deposed else { return }
        deposed = true
        logger.warning("term \(term) ends: \(reason)")
        executor?.cancel()
        preparation?.task.cancel()
    }

    /// Ends this term's work (the replica lost the election key, or is shutting down).
    public func stop() {
        depose("the replica stops leading")
    }

    func setAlarm(_ name: String, _ alarmState: Alarm.State, reason: String) async {
        guard let changed = alarms.set(name, alarmState, reason: reason) else { return }
        metrics.alarm(name, changed.state)
        record(.alarm, "\(name) → \(changed.state.rawValue): \(reason)", details: ["alarm": name])
        notifier.notify(changed, at: Date())
    }

    // MARK: Running

    /// Assesses, decides and acts every probe interval until cancelled or deposed; writes the timeline meanwhile.
    public func run() async {
        record(
            .controllerStarted,
            "\(configuration.region)'s replica leads (term \(term)): primary \(state.primary), epoch \(state.epoch), "
                + "mode \(state.mode.rawValue)"
                + (state.operation.map { "; resuming \($0.kind.rawValue) \($0.id) at \($0.step.rawValue)" } ?? ""),
            region: configuration.region, details: ["term": String(term)])
        await save()
        for alarm in ["lease-lost", "no-sync-standby"] {
            _ = alarms.set(alarm, .insufficientData, reason: "no data yet")
        }
        if state.operation == nil { _ = alarms.set("failover", .ok, reason: "no failover in progress") }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.flushTimeline() }
            while !Task.isCancelled && !deposed {
                let started = ContinuousClock.now
                await round()
                let elapsed = started.duration(to: .now)
                if elapsed < settings.probeInterval { try? await Task.sleep(for: settings.probeInterval - elapsed) }
            }
            group.cancelAll()
        }
    }

    /// This replica granted the primary's portals a lease (for the lease-lost alarm).
    public func noteLeaseAnswered() { lastLeaseRequest = .now }

    /// One of the leader's own probes (its replica's vantage point) has finished.
    public func consume(_ observation: ProbeObservation) {
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
        await bindPrimaryEpoch()
        await decide()
        await steerTraffic()
        if state.operation != nil && !executing && execution?.runnable(at: Date()) != false { startExecuting() }
        metrics.update(self.snapshotForMetrics())
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
        let decisions = synchronousStandby.observe(
            synchronous: primary.synchronous, streaming: primary.streaming,
            suspended: state.synchronousCommitSuspended, at: Date())
        for decision in decisions {
            switch decision {
            case .alarm(let alarmState, let reason):
                await setAlarm("no-sync-standby", alarmState, reason: reason)
            case .suspend(let limit):
                if await switchSynchronousCommit(
                    to: false, recording: .rpoZeroSuspended,
                    "no synchronous standby for \(limit.text): commits no longer wait; RPO 0 is suspended",
                    orOnFailure: .degradeFailed, "could not switch to async")
                {
                    await setAlarm("no-sync-standby", .alarm, reason: "degraded to async: RPO 0 suspended")
                }
            case .restore:
                await switchSynchronousCommit(
                    to: true, recording: .rpoZeroRestored, "a standby streams again: commits wait for it again",
                    orOnFailure: .restoreFailed, "could not restore synchronous commit")
            }
        }
    }

    /// Turns waiting for a synchronous standby off or on (under the term), saves that in the state and records
    /// `kind`; records `failure` with the error instead when it cannot. Returns whether it did.
    @discardableResult
    func switchSynchronousCommit(
        to enabled: Bool, recording kind: TimelineEvent.Kind, _ message: String,
        orOnFailure failure: TimelineEvent.Kind, _ failureMessage: String
    ) async -> Bool {
        do {
            try await confirmLeadership()
            try await actions.setSynchronousCommit(enabled, primary: state.primary)
            state.synchronousCommitSuspended = !enabled
            await save()
            record(kind, message, region: state.primary)
            return true
        } catch {
            record(failure, "\(failureMessage): \(error)", region: state.primary)
            return false
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
                try await confirmLeadership()
                try await withTimeout(settings.probeTimeout * 4) { [actions] in try await actions.fenceDatabase(region)
                }
                record(.databaseFenced, "\(region)'s database claimed primary: now read-only", region: region)
            } catch {
                record(
                    .fenceFailed, "could not fence \(region)'s database: \(String(reflecting: error))", region: region
                )
            }
        }
    }

    /// Once per term (and after every promotion, which binds it itself), the primary's database is bound to the
    /// state's epoch (issue 14): a deployment's first term creates its epoch row, and a term that took over right
    /// after a promotion makes sure the bind happened. Until the schema holds the epoch table (its portals migrate
    /// it), the bind fails quietly and is tried again every round.
    func bindPrimaryEpoch() async {
        guard state.operation == nil, boundEpoch.map({ $0.region != state.primary || $0.epoch != state.epoch }) ?? true,
            let database = databases[state.primary], database.role == .primary
        else { return }
        let (primary, epoch) = (state.primary, state.epoch)
        do {
            try await confirmLeadership()
            try await withTimeout(settings.probeTimeout * 2) { [actions] in
                try await actions.bindEpoch(epoch, on: primary)
            }
            boundEpoch = (primary, epoch)
            bindFailureRecorded = false
            record(
                .epochBound, "\(primary)'s database accepts writes of epoch \(epoch) only", region: primary,
                details: ["epoch": String(epoch)])
        } catch {
            guard !bindFailureRecorded else { return }
            bindFailureRecorded = true
            record(
                .epochBindFailed, "\(primary)'s database is not bound to epoch \(epoch) yet: \(error); retrying",
                region: primary)
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
                record(.failoverNeeded, reason + ": run drctl failover --to REGION", region: state.primary)
                await setAlarm("failover", .alarm, reason: "failover needed: " + reason)
            }
        case .failover(let reason):
            _ = await begin(
                .failover, from: state.primary, to: nil, trigger: "automatic", "automatic failover: " + reason,
                region: state.primary, alarm: "started: \(reason)")
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
                try await confirmLeadership()
                try await withTimeout(settings.probeTimeout * 4) { [traffic] in
                    try await traffic.setTrafficDial(dial, for: region)
                }
                record(
                    .trafficDial, "\(region) dial \(dials[region]?.description ?? "?") → \(dial)", region: region,
                    details: ["condition": conditions[region]?.rawValue ?? "unknown"])
                dials[region] = dial
            } catch {
                record(.trafficDialFailed, "could not set \(region)'s dial: \(error)", region: region)
            }
        }
    }

    static func operationID() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date()) + "-" + String(UInt32.random(in: 0...0xFFFF), radix: 16)
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
