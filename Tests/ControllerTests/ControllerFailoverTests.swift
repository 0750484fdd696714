import Controller
import Etcd
import EtcdTestSupport
import Failover
import Foundation
import Testing

/// The controller's failover plan end to end against a real etcd and a scripted world: regions that crash, a
/// database provider that may refuse a promotion without loss (Aurora's), every call to the world recorded.
@Suite(.serialized) struct ControllerFailoverTests {
    /// Three regions; us-east-1 holds the primary until something is promoted.
    actor World: RegionProber, TrafficManager, DatabaseReplication, FailoverActions {
        let regions: [RegionName] = ["us-east-1", "eu-west-1", "ap-southeast-2"]
        var primary: RegionName = "us-east-1"
        var crashed: Set<RegionName> = []
        /// Refuse a promotion that may not lose writes (as Aurora does once the old primary is gone).
        var refusesPromotionWithoutLoss = false
        /// Standbys' lag in seconds when the provider reports lag instead of WAL positions (Aurora's API).
        var lagOnly: [RegionName: Double]?
        private(set) var calls: [String] = []

        func crash(_ region: RegionName) { crashed.insert(region) }
        func refusePromotionWithoutLoss() { refusesPromotionWithoutLoss = true }
        func reportLagOnly(_ lag: [RegionName: Double]) { lagOnly = lag }
        func setPrimary(_ region: RegionName) { primary = region }

        func probe(_ region: RegionName, vantage: String) async -> ProbeObservation {
            guard !crashed.contains(region) else {
                return ProbeObservation(
                    region: region, vantage: vantage, portalReady: false, portalAnswered: false, database: nil,
                    databaseProbed: true, latencyMilliseconds: 1)
            }
            let position = lagOnly == nil ? LogSequenceNumber(1000) : nil
            let others = regions.filter { $0 != region && !crashed.contains($0) }.map(\.rawValue)
            let database = DatabaseProbe(
                role: region == primary ? .primary : .standby, replayedLSN: position, flushedLSN: position,
                streaming: region == primary ? others : [], lagSeconds: lagOnly?[region])
            return ProbeObservation(
                region: region, vantage: vantage, portalReady: true, portalAnswered: true, database: database,
                databaseProbed: true, latencyMilliseconds: 1)
        }
        func endpointGroups() async throws -> [EndpointGroupStatus] {
            regions.map { EndpointGroupStatus(region: $0, dial: .full, healthy: !crashed.contains($0)) }
        }
        func setTrafficDial(_ dial: TrafficDial, for region: RegionName) async throws {
            calls.append("dial \(region) \(dial)")
        }
        func replicationStatus() async throws -> [ReplicationStatus] { [] }
        func promote(_ region: RegionName, allowingDataLoss: Bool) async throws {
            calls.append("promote \(region)\(allowingDataLoss ? " allowing data loss" : "")")
            if refusesPromotionWithoutLoss && !allowingDataLoss {
                throw FailoverError(.refused, "\(region) cannot be promoted without losing writes")
            }
            primary = region
        }
        func switchover(to region: RegionName) async throws { calls.append("switchover \(region)") }
        func rejoin(_ region: RegionName) async throws { calls.append("rejoin \(region)") }
        func fenceDatabase(_ region: RegionName) async throws { calls.append("fence \(region)") }
        func bindEpoch(_ epoch: Int, on region: RegionName) async throws { calls.append("bind \(region) \(epoch)") }
        func writersStopped(in region: RegionName) async -> Bool { crashed.contains(region) }
        func repoint(_ standby: RegionName, to primary: RegionName) async throws {
            calls.append("repoint \(standby) to \(primary)")
        }
        func prepareFailover(to target: RegionName) async throws -> [RegionName] { [] }
        func moveWriterEndpoint(to primary: RegionName) async throws { calls.append("writer \(primary)") }
        func setSynchronousCommit(_ enabled: Bool, primary: RegionName) async throws {}
        func synchronousDurability() async -> Bool { false }

        var promotions: [String] { calls.filter { $0.hasPrefix("promote") } }
    }

    func replica(_ region: RegionName, world: World, etcd: [String]) throws -> ControllerReplica {
        try testReplica(region, world: world, etcd: etcd)
    }

    /// A real etcd, and eu-west-1's replica leading over `world`. The state is read from etcd, not from a
    /// controller: on a loaded machine a term can end (a slow etcd write) and the replica lead again in a new one.
    func withLeader(_ world: World, _ body: (ControlStore, ControllerReplica) async throws -> Void) async throws {
        try await TestEtcdCluster.with { cluster in
            let store = ControlStore(etcd: try EtcdClient(configuration: .init(endpoints: cluster.endpoints)))
            let eu = try replica("eu-west-1", world: world, etcd: cluster.endpoints)
            let run = Task { await eu.run() }
            defer { run.cancel() }
            try await eventually("eu-west-1 leads") { await eu.leading != nil }
            try await eventually("the first state is saved") { try await store.state() != nil }
            try await body(store, eu)
        }
    }

    /// Whether the failover to `target` is over, as etcd has it.
    func failedOver(to target: RegionName = "eu-west-1", _ store: ControlStore) async throws -> Bool {
        try await store.state().map { $0.primary == target && $0.operation == nil } ?? false
    }

    func steps(_ events: [TimelineEvent], _ kind: TimelineEvent.Kind) -> [String] {
        events.filter { $0.kind == kind }.compactMap(\.step)
    }

    @Test func aCrashedPrimaryIsFailedOverOnceStepByStepWithoutDataLoss() async throws {
        let world = World()
        try await withLeader(world) { store, eu in
            await world.crash("us-east-1")
            try await eventually("eu-west-1 is the primary and the failover over") { try await failedOver(store) }
            #expect(await world.promotions == ["promote eu-west-1"])
            let calls = await world.calls
            #expect(calls.contains("repoint ap-southeast-2 to eu-west-1"))
            #expect(calls.contains("writer eu-west-1") && calls.contains("dial us-east-1 0%"))
            // The new primary is bound to epoch 2 right after its promotion and before its writer endpoint moves
            // (issue 14, window 3).
            let promoted = try #require(calls.firstIndex(of: "promote eu-west-1"))
            let bound = try #require(calls.firstIndex(of: "bind eu-west-1 2"))
            #expect(promoted < bound && bound < (calls.firstIndex(of: "writer eu-west-1") ?? 0))
            let state = try #require(try await store.state())
            #expect(state.epoch == 2 && state.awaitingRejoin == ["us-east-1"] && state.promotions == 1)
            let events = try await eu.events(after: 0)
            let plan = ["fence", "select", "promote", "repoint", "writer", "traffic"]
            #expect(steps(events, .stepStarted) == plan)
            #expect(steps(events, .stepFinished) == plan)
            #expect(events.filter { $0.kind == .failoverFinished }.count == 1)
            #expect(await eu.lease(for: "us-east-1", nonce: nil).decision == .fenced)
        }
    }

    /// Aurora's case: no WAL positions, only lag (the least lagging standby is chosen, though it comes after
    /// eu-west-1 in the deployment's order), and no promotion without loss once the old primary is gone.
    @Test func aPromotionTheProviderRefusesWithoutLossWaitsFencedUntilAPersonForcesIt() async throws {
        let world = World()
        await world.refusePromotionWithoutLoss()
        await world.reportLagOnly(["eu-west-1": 0.9, "ap-southeast-2": 0.2])
        try await withLeader(world) { store, eu in
            await world.crash("us-east-1")
            try await eventually("the failover is blocked") {
                try await eu.events(after: 0).contains { $0.kind == .failoverBlocked }
            }
            // Blocked at the promote step: nothing promoted, the old primary's region fenced, the alarm up, and
            // the same refusal not recorded again when the plan retries.
            let blocked = try #require(try await store.state())
            #expect(blocked.primary == "us-east-1" && blocked.operation?.step == .promote)
            #expect(await world.promotions == ["promote ap-southeast-2"])
            #expect(await eu.lease(for: "us-east-1", nonce: nil).decision == .fenced)
            try await Task.sleep(for: .seconds(6))
            #expect(try await eu.events(after: 0).filter { $0.kind == .failoverBlocked }.count == 1)
            // Another target is refused at this step; the same one, forced, goes on.
            let leader = try #require(await eu.leading)
            await #expect(throws: FailoverError.self) {
                _ = try await leader.requestFailover(to: "eu-west-1", force: true)
            }
            _ = try await leader.requestFailover(to: "ap-southeast-2", force: true)
            try await eventually("ap-southeast-2 is the primary") { try await failedOver(to: "ap-southeast-2", store) }
            #expect(
                await world.promotions.suffix(1) == ["promote ap-southeast-2 allowing data loss"],
                "only the forced promotion may lose writes")
            #expect(await world.promotions.allSatisfy { $0.hasPrefix("promote ap-southeast-2") })
        }
    }

    /// A provider without WAL positions (Aurora's API) switches over without the LSN catch-up wait: its promotion
    /// without loss (`SwitchoverGlobalCluster`) waits for the target itself.
    @Test func aSwitchoverWithoutPositionsIsLeftToTheProvidersCatchUp() async throws {
        let world = World()
        await world.reportLagOnly(["eu-west-1": 0.4, "ap-southeast-2": 0.2])
        try await withLeader(world) { store, eu in
            let leader = try #require(await eu.leading)
            _ = try await leader.requestSwitchover(to: "eu-west-1")
            try await eventually("eu-west-1 is the primary") { try await failedOver(store) }
            #expect(await world.promotions == ["promote eu-west-1"])
            #expect(try await eu.events(after: 0).contains { $0.kind == .caughtUp && $0.region == "eu-west-1" })
        }
    }

    @Test func aNewLeaderThatResumesAfterThePromotionDoesNotPromoteAgain() async throws {
        let world = World()
        try await TestEtcdCluster.with { cluster in
            let store = ControlStore(etcd: try EtcdClient(configuration: .init(endpoints: cluster.endpoints)))
            // An earlier leader chose eu-west-1, promoted it and died before saving that.
            let ap = try replica("ap-southeast-2", world: world, etcd: cluster.endpoints)
            let apRun = Task { await ap.run() }
            try await eventually("ap-southeast-2 leads") { await ap.leading != nil }
            let term = try #require(await ap.leading?.term)
            try await eventually("the first state is saved") { try await store.state() != nil }
            var state = try #require(try await store.state())
            state.operation = FailoverOperation(
                id: "earlier", kind: .failover, from: "us-east-1", to: "eu-west-1", force: false, step: .promote,
                startedAt: Date(), trigger: "automatic")
            try await store.save(state, term: term)
            apRun.cancel()
            await world.crash("us-east-1")
            await world.setPrimary("eu-west-1")
            try await eventually("nobody leads") { try await store.leader() == nil }
            // The next leader resumes at the promote step and asks the target first.
            let eu = try replica("eu-west-1", world: world, etcd: cluster.endpoints)
            let euRun = Task { await eu.run() }
            defer { euRun.cancel() }
            try await eventually("the resumed failover is over") { try await failedOver(store) }
            #expect(await world.promotions.isEmpty)
            let kinds = try await eu.events(after: 0).filter { $0.operation == "earlier" }.map(\.kind)
            #expect(kinds.contains(.operationResumed) && kinds.contains(.promotionSkipped))
            #expect(!kinds.contains(.promoted))
            #expect(try await store.state()?.epoch == 2)
        }
    }
}
