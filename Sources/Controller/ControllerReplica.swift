import AsyncHTTPClient
import Etcd
import Failover
import Foundation
import Logging
import NIOCore
import Synchronization

/// One control-plane replica (DESIGN.md §3): runs in a region, is that region's probe vantage point, and takes
/// part in the election. The replica holding the election key leads: it runs a `Controller` for its term. The
/// others report their probes to the leader and pass the operator's calls on to it. Every replica, the leader
/// too, answers its region's portals' lease requests itself, from the state it reads from etcd a few times a
/// second and only while its own etcd session surely runs (`ReplicaLeaseGrant`), so a leader's death does not
/// interrupt writes.
public actor ControllerReplica {
    public let configuration: ControllerConfiguration
    public let store: ControlStore
    let prober: any RegionProber
    let traffic: any TrafficManager
    let replication: any DatabaseReplication
    let actions: any FailoverActions
    let logger: Logger
    let metrics = ControllerMetrics()

    /// This replica's etcd lease (the election key and its heartbeat are attached to it), and when the request
    /// that last started its time to live was sent.
    var etcdLease: EtcdLease?
    var etcdLeaseRenewedAt: ContinuousClock.Instant?
    /// Who leads, as this replica last read it (from its snapshot, whether or not it has an etcd session itself).
    public var leader: ControlStore.Leader? { leaderSeen?.0 }
    var controller: Controller?
    var controllerTask: Task<Void, Never>?
    /// The state last read from etcd, its revision, and when that read was sent (what lease answers come from).
    var cachedState: ControllerState?
    var cachedRevision: Int64 = 0
    var stateReadSentAt: ContinuousClock.Instant?
    /// Regions whose lease grants this replica recorded in its current etcd session.
    var recordedGrants: Set<RegionName> = []
    /// When the last lease this replica granted each region surely ends (on this replica's clock).
    var grantsEnd: [RegionName: ContinuousClock.Instant] = [:]
    /// Regions whose grant record is being withdrawn: no lease is granted to them meanwhile.
    var withdrawing: Set<RegionName> = []
    var leaseAnswered = false
    /// The election key (with its etcd lease) as the last snapshot read it, and whether that read succeeded.
    var leaderSeen: (ControlStore.Leader, Int64)?
    var snapshotRead = false
    var lastHeartbeat: ContinuousClock.Instant?
    /// Since when the election key has been seen absent, and since when this replica leads.
    var leaderAbsentSince: ContinuousClock.Instant?
    var leadingSince: ContinuousClock.Instant?
    /// The other replicas' heartbeats, read every few seconds by the leader (for the hand-over below).
    var peersSeen: [ControlStore.ReplicaHeartbeat] = []
    var peersReadAt: ContinuousClock.Instant?
    var inFlight: [RegionName: Int] = [:]
    /// Observations waiting for the report in flight (or for a leader to be known), with when each was made; kept
    /// for `Controller.freshness`.
    var pendingReport: [(at: ContinuousClock.Instant, observation: ProbeObservation)] = []
    /// The observations of reports that `url`'s leader did not take, for the next leader.
    var undeliveredReport: (url: String, observations: [(at: ContinuousClock.Instant, observation: ProbeObservation)])?
    /// This replica's own observations of the last `Controller.freshness`, to seed its detectors if it comes to lead.
    var recentObservations: [(at: ContinuousClock.Instant, observation: ProbeObservation)] = []
    /// When this follower's last report to the leader could not be delivered (nil once one is): the leader may be
    /// dead, so the replica campaigns every tick instead of waiting to read the election key gone.
    var leaderUnreachableSince: ContinuousClock.Instant?
    var reporting = false
    /// Whether this replica's own etcd member (the first endpoint) leads raft, as last asked (about once a second).
    /// Its writes then commit after one round trip to a follower instead of two: it alone campaigns while the old
    /// leader merely looks dead, so the next term starts where each of its etcd writes is quickest.
    var ownMemberLeadsRaft = false

    public init(
        configuration: ControllerConfiguration, prober: any RegionProber, traffic: any TrafficManager,
        replication: any DatabaseReplication, actions: any FailoverActions, logger: Logger
    ) throws {
        try configuration.settings.validate()
        self.configuration = configuration
        self.store = ControlStore(
            etcd: try EtcdClient(
                configuration: .init(
                    endpoints: configuration.etcdEndpoints, requestTimeout: .seconds(2), firstEndpointFirst: true)))
        self.prober = prober
        self.traffic = traffic
        self.replication = replication
        self.actions = actions
        self.logger = logger
    }

    var settings: ControllerSettings { configuration.settings }

    /// Until when this replica's etcd session surely runs (nil: it has none).
    var sessionHorizon: ContinuousClock.Instant? {
        etcdLeaseRenewedAt.map {
            ReplicaLeaseGrant.horizon(keepAliveSentAt: $0, ttl: ttl, clockMargin: settings.clockMargin)
        }
    }
    var ttl: Duration { .seconds(etcdLease?.ttl ?? configuration.leaderTTL) }

    /// The controller of this replica's term, when it leads.
    public var leading: Controller? { controller }

    /// The leader's API as this replica reaches it; nil when no replica leads or this one does.
    public var leaderURL: String? {
        guard let leader, leader.region != configuration.region else { return nil }
        return configuration.peers[leader.region]
    }

    // MARK: Running

    /// Takes part in the election, probes and reports until cancelled; resigns the lead on the way out.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.probeLoop() }
            group.addTask { await self.stateLoop() }
            group.addTask { await self.sessionLoop() }
            group.addTask { await self.raftPlacementLoop() }
            while !Task.isCancelled {
                await tick()
                try? await Task.sleep(for: .milliseconds(200))
            }
            group.cancelAll()
        }
        // The lead is given up at once; the etcd session is left to expire by itself, since the leases granted in
        // it still run until its horizon.
        if let controller {
            await controller.stop()
            await store.resign(term: controller.term)
        }
        controllerTask?.cancel()
        await prober.close()
    }

    /// Keeps this replica's etcd session (its lease) alive: a keep-alive every eighth of the TTL, so that the
    /// session horizon its grants are bounded by stays near a TTL ahead.
    func sessionLoop() async {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            if let lease = etcdLease {
                do {
                    let answer = try await store.etcd.keepAlive(lease.id)
                    if answer.ttl > 0, etcdLease?.id == lease.id {
                        etcdLeaseRenewedAt = now
                    } else if answer.ttl <= 0 {
                        await lostLease("etcd says the lease expired")
                    }
                } catch let error where error.code == .leaseNotFound {
                    await lostLease("etcd no longer knows the lease")
                } catch {
                    logger.debug("keep-alive failed", metadata: ["error": "\(error)"])
                }
            } else {
                do {
                    let lease = try await store.etcd.grantLease(ttl: configuration.leaderTTL)
                    etcdLease = lease
                    etcdLeaseRenewedAt = now
                    recordedGrants = []
                } catch {
                    logger.debug("no etcd lease", metadata: ["error": "\(error)"])
                }
            }
            let pause = ttl / 8 - now.duration(to: .now)
            if pause > .zero { try? await Task.sleep(for: pause) }
        }
    }

    /// One round of the election: campaign, start or stop leading, heartbeat.
    func tick() async {
        // Take the lead only while the session surely runs (its horizon, as for lease grants). A leader whose session
        // cannot be proved for a while (a raft election) keeps its controller: every write and action is fenced by
        // the term and waits for etcd; it stops when one is refused, when etcd stays silent for 3 s, or when the
        // session is lost.
        let leaseSurelyRuns = sessionHorizon.map { ContinuousClock.now < $0 } ?? false
        if let controller, await controller.deposed { await stopLeading("the term ended") }
        guard let lease = etcdLease else { return }
        // The election key as the last snapshot read it; a campaign (a write through raft) only when it is absent.
        // The primary's own region is the likeliest to be lost, and losing the leader with it adds an election to
        // the failover: its replica lets the others campaign first (for a second).
        var seen = leaderSeen
        if seen == nil { leaderAbsentSince = leaderAbsentSince ?? .now } else { leaderAbsentSince = nil }
        let inPrimaryRegion = cachedState?.primary == configuration.region
        let mayCampaign =
            !inPrimaryRegion || (leaderAbsentSince.map { $0.duration(to: .now) >= .seconds(1) } ?? false)
        // A campaign only creates the key when it is absent, so trying while the leader looks dead costs a raft
        // write per tick and saves the state poll's delay (a read across the WAN) after its session ends. Only the
        // replica beside etcd's raft leader does so: it wins the next term (the others campaign once they read the
        // key gone), and every write of a failover then costs one round trip to a follower, not two.
        let leaderLooksDead = seen != nil && leaderUnreachableSince != nil && controller == nil && ownMemberLeadsRaft
        if (seen == nil || leaderLooksDead) && snapshotRead && mayCampaign {
            do {
                let (current, holderLease) = try await store.campaign(region: configuration.region, lease: lease.id)
                seen = current.map { ($0, holderLease) }
                leaderSeen = seen
            } catch {
                logger.debug("campaign failed", metadata: ["error": "\(error)"])
            }
        }
        let mine = seen.map { $0.0.region == configuration.region && $0.1 == lease.id } ?? false
        if mine, leaseSurelyRuns, let current = seen?.0, controller == nil {
            await startLeading(term: current.term)
            // A replica that holds the key but cannot take up the lead gives the key back, so another one can.
            if self.controller == nil {
                await store.resign(term: current.term)
                leaderSeen = nil
            }
        } else if mine, !leaseSurelyRuns, let current = seen?.0, controller == nil {
            await store.resign(term: current.term)
            leaderSeen = nil
        } else if !mine, let controller, seen != nil {
            await stopLeading("\(seen?.0.region.rawValue ?? "nobody") leads (term \(controller.term) is over)")
        }
        await handOverIfInPrimaryRegion()
        if lastHeartbeat.map({ $0.duration(to: .now) >= .seconds(2) }) ?? true {
            lastHeartbeat = .now
            try? await store.heartbeat(
                .init(
                    region: configuration.region, url: configuration.peers[configuration.region] ?? "",
                    leader: controller != nil, term: controller?.term, heardAt: Date()), lease: lease.id)
        }
    }

    /// A leader in the primary's region gives the lead up (when no operation runs, after leading 5 s, and while
    /// a replica elsewhere is alive), so that losing the primary's region does not also cost an election.
    func handOverIfInPrimaryRegion() async {
        guard let controller, let since = leadingSince, since.duration(to: .now) >= .seconds(5),
            let state = cachedState, state.primary == configuration.region, state.operation == nil,
            // Not right after a failover: the new leader would start with fresh detectors while the region recovers.
            state.lastFailoverAt.map({ Date().timeIntervalSince($0) > 60 }) ?? true
        else { return }
        if peersReadAt.map({ $0.duration(to: .now) >= .seconds(2) }) ?? true {
            peersReadAt = .now
            peersSeen = (try? await store.replicas()) ?? []
        }
        let alive = peersSeen.contains {
            $0.region != configuration.region && Date().timeIntervalSince($0.heardAt) < 5
        }
        guard alive else { return }
        logger.info("handing the lead over: this replica runs in the primary's region")
        await controller.awaitTimelineFlushed()
        await store.resign(term: controller.term)
        await stopLeading("handed over (the primary's region)")
        leaderSeen = nil
        leaderAbsentSince = .now
    }

    /// The leader keeps etcd's raft leadership out of the primary's region (checked every 5 s while no operation
    /// runs): losing that region then does not also cost a raft election, during which no fenced write and no
    /// session keep-alive gets through and every lease is extended by etcd's new leader (DESIGN.md §3). The lead
    /// goes to this replica's own member, which the hand-over above already placed outside the primary's region.
    func raftPlacementLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(5))
            guard let controller, let state = cachedState, state.operation == nil,
                state.primary != configuration.region
            else { continue }
            let etcd = store.etcd
            let statuses = await withTaskGroup(of: EtcdMemberStatus?.self) { group in
                for endpoint in configuration.etcdEndpoints { group.addTask { try? await etcd.status(of: endpoint) } }
                var statuses: [EtcdMemberStatus] = []
                for await status in group { if let status { statuses.append(status) } }
                return statuses
            }
            guard let members = try? await etcd.members(),
                let own = members.first(where: { $0.name == configuration.region.rawValue }),
                let leaderID = statuses.first(where: { $0.memberID == own.id })?.leaderID,
                let leader = members.first(where: { $0.id == leaderID }), leader.name == state.primary.rawValue,
                let leaderEndpoint = statuses.first(where: { $0.memberID == leaderID })?.endpoint
            else { continue }
            do {
                try await etcd.moveLeader(at: leaderEndpoint, to: own.id)
                await controller.noteRaftLeaderMoved(from: leader.name, to: own.name)
            } catch {
                logger.info("could not move etcd's raft leader", metadata: ["error": "\(error)"])
            }
        }
    }

    func lostLease(_ reason: String) async {
        etcdLease = nil
        etcdLeaseRenewedAt = nil
        recordedGrants = []
        if controller != nil { await stopLeading(reason) }
    }

    func startLeading(term: Int64) async {
        do {
            let initial = ControllerState(
                regions: configuration.regions, primary: configuration.initialPrimary, mode: settings.mode)
            // Both cross raft (a round trip to the nearest etcd member across the WAN): sent at once.
            async let stateRead = store.stateOrCreate(initial, term: term)
            async let timelineRead = store.recentEvents(Controller.timelineInMemory)
            let (state, timeline) = try await (stateRead, timelineRead)
            let controller = try Controller(
                configuration: configuration, store: store, term: term, state: state, timeline: timeline,
                metrics: metrics, prober: prober, traffic: traffic, replication: replication,
                actions: actions, sessionHorizon: { [weak self] in await self?.sessionHorizon },
                saved: { [weak self] in await self?.adopt($0, revision: $1, sentAt: $2) }, logger: logger)
            let freshSince = ContinuousClock.now - Controller.freshness(settings)
            await controller.seed(recentObservations.filter { $0.at >= freshSince }.map(\.observation))
            self.controller = controller
            leadingSince = .now
            controllerTask = Task { await controller.run() }
            logger.info("leading", metadata: ["term": "\(term)", "primary": "\(state.primary)"])
        } catch {
            logger.warning("could not take up the lead", metadata: ["term": "\(term)", "error": "\(error)"])
        }
    }

    func stopLeading(_ reason: String) async {
        guard let controller else { return }
        logger.warning("no longer leading", metadata: ["term": "\(controller.term)", "reason": "\(reason)"])
        await controller.stop()
        controllerTask?.cancel()
        controllerTask = nil
        self.controller = nil
    }

    /// Reads the state a few times a second (linearizable reads, the leader's replica too); a cut-off replica keeps
    /// its last read, from which it grants nothing once the lease duration has passed since the read was sent.
    func stateLoop() async {
        var round = 0
        while !Task.isCancelled {
            if round % 4 == 0, let own = configuration.etcdEndpoints.first {
                let status = try? await store.etcd.status(of: own)
                ownMemberLeadsRaft = status.map { $0.leaderID != 0 && $0.leaderID == $0.memberID } ?? false
            }
            round += 1
            let sentAt = ContinuousClock.now
            if let snapshot = try? await store.snapshot() {
                if let (state, revision) = snapshot.state { adopt(state, revision: revision, sentAt: sentAt) }
                await withdrawEndedGrants()
                leaderSeen = snapshot.leader
                snapshotRead = true
            } else {
                // Unknown: no campaign on a guess, and a leader that cannot read etcd stops by its session.
                snapshotRead = false
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// A state read (or this replica's leader saved) from a request sent at `sentAt`, unless a newer one is known:
    /// a read sent before the leader's save can be answered after it. The leader's own saves are taken at once, so
    /// the new primary's portals get their lease without waiting for the next read.
    func adopt(_ state: ControllerState, revision: Int64, sentAt: ContinuousClock.Instant) {
        if revision < cachedRevision { return }
        if revision == cachedRevision, let known = stateReadSentAt, known > sentAt { return }
        cachedState = state
        cachedRevision = revision
        stateReadSentAt = sentAt
    }

    // MARK: Answers

    /// The leader's status with every replica and etcd member; nil when this replica does not lead.
    public func status() async -> ControllerStatus? {
        guard let controller else { return nil }
        // Every read below crosses raft (a quorum round trip over the WAN): they run at once, so a status costs
        // one of them, not the sum (a lab start and `drctl status` wait for it).
        let primary = await controller.state.primary
        async let replicasRead = try? store.replicas()
        async let grantersRead = try? store.granters(of: primary)
        let members = await withTaskGroup(of: (Int, ControllerStatus.EtcdMember).self) { group in
            for (index, endpoint) in configuration.etcdEndpoints.enumerated() {
                group.addTask { [store] in
                    (index, .init(endpoint: endpoint, healthy: await store.etcd.isHealthy(endpoint)))
                }
            }
            var members: [(Int, ControllerStatus.EtcdMember)] = []
            for await member in group { members.append(member) }
            return members.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let replicas = await replicasRead ?? []
        let grant = ReplicaLeaseGrant(stateReadSentAt: stateReadSentAt ?? .now, sessionHorizon: sessionHorizon)
        let probe = cachedState.map {
            grant.answer(for: primary, state: $0, now: .now, duration: settings.leaseDuration)
        }
        let lease = ControllerStatus.Lease(
            holder: probe?.decision == .granted ? primary : nil,
            durationMilliseconds: settings.leaseDuration.wholeMilliseconds,
            remainingMilliseconds: probe?.durationMilliseconds ?? 0,
            granters: await grantersRead ?? [])
        return await controller.status(controllers: replicas, etcd: members, lease: lease)
    }

    /// Events after `sequence`: the leader's from memory, a follower's from etcd.
    public func events(after sequence: Int) async throws -> [TimelineEvent] {
        if let controller { return try await controller.events(after: sequence) }
        return try await store.events(after: sequence)
    }
}
