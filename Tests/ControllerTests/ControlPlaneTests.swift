import Controller
import Etcd
import EtcdTestSupport
import Failover
import Foundation
import Testing

/// The replicated control plane against a real etcd, with fake providers for the world (every region answers,
/// nothing is promoted unless the test says so): election, the term as a fencing token, state that outlives its
/// replicas, and lease grants recorded before they are answered.
@Suite(.serialized) struct ControlPlaneTests {
    struct World: RegionProber, TrafficManager, DatabaseReplication, FailoverActions {
        func probe(_ region: RegionName, vantage: String) async -> ProbeObservation {
            ProbeObservation(
                region: region, vantage: vantage, portalReady: true, portalAnswered: true, database: nil,
                databaseProbed: false, latencyMilliseconds: 1)
        }
        func endpointGroups() async throws -> [EndpointGroupStatus] { [] }
        func setTrafficDial(_ dial: TrafficDial, for region: RegionName) async throws {}
        func replicationStatus() async throws -> [ReplicationStatus] { [] }
        func promote(_ region: RegionName, allowingDataLoss: Bool) async throws {}
        func switchover(to region: RegionName) async throws {}
        func rejoin(_ region: RegionName) async throws {}
        func fenceDatabase(_ region: RegionName) async throws {}
        func bindEpoch(_ epoch: Int, on region: RegionName) async throws {}
        func writersStopped(in region: RegionName) async -> Bool { false }
        func repoint(_ standby: RegionName, to primary: RegionName) async throws {}
        func prepareFailover(to target: RegionName) async throws -> [RegionName] { [] }
        func moveWriterEndpoint(to primary: RegionName) async throws {}
        func setSynchronousCommit(_ enabled: Bool, primary: RegionName) async throws {}
        func synchronousDurability() async -> Bool { false }
    }

    static let regions: [RegionName] = ["us-east-1", "eu-west-1", "ap-southeast-2"]

    func replica(_ region: RegionName, etcd: [String], initialPrimary: RegionName = "us-east-1") throws
        -> ControllerReplica
    {
        try testReplica(region, world: World(), etcd: etcd, initialPrimary: initialPrimary)
    }

    @Test func oneReplicaLeadsAndAnotherTakesOverWithAHigherTermWhenItStops() async throws {
        try await TestEtcdCluster.with { cluster in
            let us = try replica("us-east-1", etcd: cluster.endpoints)
            let eu = try replica("eu-west-1", etcd: cluster.endpoints)
            let usRun = Task { await us.run() }
            let euRun = Task { await eu.run() }
            defer {
                usRun.cancel()
                euRun.cancel()
            }
            try await eventually("a leader") {
                let usLeads = await us.leading != nil
                let euLeads = await eu.leading != nil
                return usLeads || euLeads
            }
            let first = await us.leading != nil ? us : eu
            let second = first === us ? eu : us
            let firstTerm = try #require(await first.leading?.term)
            #expect(await second.leading == nil, "two leaders at once")
            // The leader stops (it resigns on the way out): the other one leads with a later term.
            (first === us ? usRun : euRun).cancel()
            try await eventually("the other replica leads") { await second.leading != nil }
            let secondTerm = try #require(await second.leading?.term)
            #expect(secondTerm > firstTerm)
            // The first term can no longer write anything.
            let store = ControlStore(etcd: try EtcdClient(configuration: .init(endpoints: cluster.endpoints)))
            await #expect(throws: ControlStore.Deposed.self) { try await store.confirm(term: firstTerm) }
            try await store.confirm(term: secondTerm)
        }
    }

    @Test func theStateOutlivesItsReplicasAndANewReplicaKnowsTheRealPrimary() async throws {
        try await TestEtcdCluster.with { cluster in
            let store = ControlStore(etcd: try EtcdClient(configuration: .init(endpoints: cluster.endpoints)))
            let us = try replica("us-east-1", etcd: cluster.endpoints)
            let usRun = Task { await us.run() }
            try await eventually("us-east-1 leads") { await us.leading != nil }
            // A failover happened in an earlier life: eu-west-1 is the primary.
            let term = try #require(await us.leading?.term)
            try await eventually("the first state is written") { try await store.state() != nil }
            var state = try #require(try await store.state())
            state.primary = "eu-west-1"
            state.epoch = 2
            try await store.save(state, term: term)
            usRun.cancel()
            try await eventually("nobody leads") { try await store.leader() == nil }
            // A replica with an empty folder that thinks us-east-1 is the primary reads the truth from etcd.
            let fresh = try replica("ap-southeast-2", etcd: cluster.endpoints, initialPrimary: "us-east-1")
            let freshRun = Task { await fresh.run() }
            defer { freshRun.cancel() }
            try await eventually("the fresh replica leads") { await fresh.leading != nil }
            #expect(await fresh.leading?.state.primary == "eu-west-1")
            try await eventually("its lease answers follow the real primary") {
                await fresh.lease(for: "eu-west-1", nonce: nil).decision == .granted
            }
            #expect(await fresh.lease(for: "us-east-1", nonce: nil).decision == .standby)
        }
    }

    @Test func aGrantIsRecordedInTheSessionBeforeItIsAnsweredAndNotFromAStaleState() async throws {
        try await withGrantingReplica { store, us in
            #expect(try await store.granters(of: "us-east-1") == ["us-east-1"])
            let answer = await us.lease(for: "us-east-1", nonce: nil)
            #expect(answer.durationMilliseconds > 0 && answer.durationMilliseconds <= 3000)
            // A record made from a state read before a change is refused.
            let (_, revision) = try #require(try await store.snapshot().state)
            let term = try #require(await us.leading?.term)
            var state = try #require(try await store.state())
            state.mode = .manual
            try await store.save(state, term: term)
            let lease = try await store.etcd.grantLease(ttl: 5)
            #expect(
                try await !store.recordGrant(of: "us-east-1", by: "eu-west-1", lease: lease.id, stateRevision: revision)
            )
            #expect(try await store.granters(of: "us-east-1") == ["us-east-1"])
        }
    }

    @Test func aGrantRecordIsWithdrawnOnlyOnceTheRegionIsFencedAndItsLastLeaseHasEnded() async throws {
        try await withGrantingReplica { store, us in
            let answer = await us.lease(for: "us-east-1", nonce: nil)
            let leaseEnds = ContinuousClock.now + .milliseconds(answer.durationMilliseconds)
            #expect(answer.decision == .granted)
            // The region is fenced (a former primary awaiting rejoin): the record stays while that lease runs.
            let term = try #require(await us.leading?.term)
            var state = try #require(try await store.state())
            state.awaitingRejoin = ["us-east-1"]
            try await store.save(state, term: term)
            let granters = try await store.granters(of: "us-east-1")
            if ContinuousClock.now < leaseEnds { #expect(granters == ["us-east-1"]) }
            try await eventually("the record withdrawn") { try await store.granters(of: "us-east-1").isEmpty }
            #expect(ContinuousClock.now >= leaseEnds)
            #expect(await us.lease(for: "us-east-1", nonce: nil).decision == .fenced)
        }
    }

    /// A real etcd and us-east-1's replica, which leads and has granted its region a lease.
    func withGrantingReplica(_ body: (ControlStore, ControllerReplica) async throws -> Void) async throws {
        try await TestEtcdCluster.with { cluster in
            let store = ControlStore(etcd: try EtcdClient(configuration: .init(endpoints: cluster.endpoints)))
            let us = try replica("us-east-1", etcd: cluster.endpoints)
            let usRun = Task { await us.run() }
            defer { usRun.cancel() }
            // Leading too: the state the grant comes from is written before the new leader's controller is up.
            try await eventually("a granted lease from the leader") {
                guard await us.leading != nil else { return false }
                return await us.lease(for: "us-east-1", nonce: nil).decision == .granted
            }
            try await body(store, us)
        }
    }
}
