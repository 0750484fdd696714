import Etcd
import EtcdTestSupport
import Foundation
import LocalPostgres
import Testing

/// The client against a real etcd 3.4, started per test.
@Suite struct EtcdClientTests {
    @Test func putGetRangeAndDeleteRoundTripKeysAndBinaryValues() async throws {
        try await TestEtcdCluster.with { cluster in
            let etcd = try EtcdClient(configuration: .init(endpoints: cluster.endpoints))
            let first = try await etcd.put("/portal/a", "one")
            let bytes = Data([0, 255, 10, 13])
            try await etcd.put("/portal/b", bytes)
            try await etcd.put("/portam", "outside the prefix")

            let a = try #require(try await etcd.get("/portal/a"))
            #expect(a.text == "one")
            #expect(a.createRevision == first.revision && a.modRevision == first.revision && a.version == 1)
            #expect(try await etcd.get("/portal/b")?.value == bytes)
            #expect(try await etcd.get("/portal/none") == nil)

            let prefix = try await etcd.range(.prefix("/portal/"))
            #expect(prefix.keyValues.map(\.key) == ["/portal/a", "/portal/b"])
            #expect(prefix.count == 2 && prefix.header.revision == first.revision + 2)

            let second = try await etcd.put("/portal/a", "two")
            let changed = try #require(try await etcd.get("/portal/a"))
            #expect(changed.createRevision == first.revision && changed.modRevision == second.revision)
            #expect(changed.version == 2)

            #expect(try await etcd.delete(.prefix("/portal/")) == 2)
            #expect(try await etcd.get("/portal/a") == nil)
            #expect(try await etcd.get("/portam")?.text == "outside the prefix")
        }
    }

    /// The election and fencing pattern of the control plane: create-if-absent under a lease, then writes that
    /// compare the key's create revision (the epoch); a later holder's key has a new create revision. Leases are
    /// long (60 s) and ended by revoking them, so that a loaded machine's slow requests cannot expire one early.
    @Test func campaignSucceedsOnceAndTheCreateRevisionFencesALaterHolder() async throws {
        try await TestEtcdCluster.with { cluster in
            let etcd = try EtcdClient(configuration: .init(endpoints: cluster.endpoints))
            let leaseA = try await etcd.grantLease(ttl: 60)
            #expect(leaseA.ttl == 60)
            func campaign(_ name: String, _ lease: Int64) async throws -> EtcdTransactionResult {
                try await etcd.txn(
                    EtcdTransaction(
                        compare: [.absent("/leader")], success: [.put("/leader", name, lease: lease)],
                        failure: [.get(.key("/leader"))]))
            }
            let won = try await campaign("a", leaseA.id)
            #expect(won.succeeded && won.responses == [.put])
            let epochA = try #require(try await etcd.get("/leader")).createRevision
            #expect(epochA == won.header.revision)

            let leaseB = try await etcd.grantLease(ttl: 60)
            let lost = try await campaign("b", leaseB.id)
            #expect(!lost.succeeded)
            guard case .get(let holder) = try #require(lost.responses.first) else {
                Issue.record("the failure branch answers with the holder: \(lost.responses)")
                return
            }
            #expect(holder.keyValues.first?.text == "a" && holder.keyValues.first?.lease == leaseA.id)

            func fencedWrite(_ epoch: Int64, _ value: String) async throws -> Bool {
                try await etcd.txn(
                    EtcdTransaction(
                        compare: [EtcdCompare(key: "/leader", .createRevision(epoch))],
                        success: [.put("/state/primary", value)])
                ).succeeded
            }
            #expect(try await fencedWrite(epochA, "us-east-1"))

            // A's lease ends (revoked here; expiry does the same): its key goes, B wins with a higher epoch.
            try await etcd.revoke(leaseA.id)
            #expect(try await etcd.get("/leader") == nil)
            #expect(try await campaign("b", leaseB.id).succeeded)
            let epochB = try #require(try await etcd.get("/leader")).createRevision
            #expect(epochB > epochA)
            #expect(try await !fencedWrite(epochA, "eu-west-1"))
            #expect(try await etcd.get("/state/primary")?.text == "us-east-1")
            #expect(try await fencedWrite(epochB, "eu-west-1"))

            // A comparison on the value, and one that is false, choose the branch.
            let byValue = try await etcd.txn(
                EtcdTransaction(
                    compare: [EtcdCompare(key: "/state/primary", .value(Data("eu-west-1".utf8)))],
                    success: [.delete(.key("/state/primary"))]))
            #expect(byValue.succeeded && byValue.responses == [.delete(deleted: 1)])
        }
    }

    @Test func keepAliveRenewsAndAnEndedLeaseIsNotFound() async throws {
        try await TestEtcdCluster.with { cluster in
            let etcd = try EtcdClient(configuration: .init(endpoints: cluster.endpoints))
            let lease = try await etcd.grantLease(ttl: 60)
            #expect(try await etcd.keepAlive(lease.id) == EtcdLease(id: lease.id, ttl: 60))
            try await etcd.put("/held", "x", lease: lease.id)
            try await etcd.revoke(lease.id)
            #expect(try await etcd.get("/held") == nil)
            let keptAlive = await etcdError { _ = try await etcd.keepAlive(lease.id) }
            #expect(keptAlive?.code == .leaseNotFound, "an ended lease was kept alive")
            let revoked = await etcdError { try await etcd.revoke(lease.id) }
            #expect(revoked?.code == .leaseNotFound && revoked?.grpcCode == 5, "revoking an ended lease")
            let orphan = await etcdError { _ = try await etcd.put("/orphan", "x", lease: lease.id) }
            #expect(orphan?.code == .leaseNotFound, "a put under an ended lease")
        }
    }

    @Test func badInputIsRefusedBeforeItIsSentAndADeadEndpointIsUnavailable() async throws {
        #expect(throws: EtcdError(.invalidArgument, "no etcd endpoints given")) {
            try EtcdClient(configuration: .init(endpoints: []))
        }
        let noScheme = await etcdError { _ = try EtcdClient(configuration: .init(endpoints: ["127.0.0.1:2379"])) }
        #expect(noScheme?.code == .invalidArgument && noScheme?.message.contains("127.0.0.1:2379") == true)
        let nobody = try EtcdClient(
            configuration: .init(
                endpoints: ["http://127.0.0.1:\(try PostgresTools.freePort())"], requestTimeout: .seconds(1)))
        #expect(await etcdError { _ = try await nobody.get("/k") }?.code == .unavailable, "a read from no etcd")
        #expect(await etcdError { _ = try await nobody.get("") }?.code == .invalidArgument, "an empty key")
        #expect(await etcdError { _ = try await nobody.grantLease(ttl: 0) }?.code == .invalidArgument, "a zero TTL")
        #expect(await !nobody.isHealthy(nobody.configuration.endpoints[0]))
    }

    /// Each member names itself and the raft leader; the leader hands its leadership to a chosen member, and a
    /// member that does not lead cannot (what the control plane uses to keep raft out of the primary's region).
    @Test func theRaftLeaderMovesToTheMemberAskedFor() async throws {
        try await TestEtcdCluster.with(size: 3) { cluster in
            let etcd = try EtcdClient(configuration: .init(endpoints: cluster.endpoints))
            let members = try await etcd.members()
            #expect(Set(members.map(\.name)) == ["m0", "m1", "m2"])
            var statuses: [EtcdMemberStatus] = []
            for endpoint in cluster.endpoints { statuses.append(try await etcd.status(of: endpoint)) }
            #expect(Set(statuses.map(\.memberID)) == Set(members.map(\.id)))
            let leaderID = try #require(statuses.first?.leaderID)
            #expect(statuses.allSatisfy { $0.leaderID == leaderID })
            let leader = try #require(statuses.first { $0.memberID == leaderID })
            let follower = try #require(statuses.first { $0.memberID != leaderID })
            let other = try #require(statuses.first { $0.memberID != leaderID && $0.memberID != follower.memberID })
            #expect(await etcdError { try await etcd.moveLeader(at: follower.endpoint, to: other.memberID) } != nil)
            try await etcd.moveLeader(at: leader.endpoint, to: follower.memberID)
            // The transfer answers once it is done; the third member may hear of it a heartbeat later.
            let deadline = ContinuousClock.now + .seconds(30)
            while try await etcd.status(of: other.endpoint).leaderID != follower.memberID {
                guard ContinuousClock.now < deadline else {
                    throw EtcdError(.unavailable, "the raft leader never moved")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await etcd.status(of: follower.endpoint).leaderID == follower.memberID)
        }
    }

    /// Given every member's URL, the client moves past a crashed member; the majority still answers.
    @Test func aClientOfThreeMembersKeepsWorkingWhenOneIsKilled() async throws {
        try await TestEtcdCluster.with(size: 3) { cluster in
            await cluster.kill(0)
            let etcd = try EtcdClient(configuration: .init(endpoints: cluster.endpoints, requestTimeout: .seconds(1)))
            #expect(await !etcd.isHealthy(cluster.endpoints[0]))
            // If the killed member led raft, the other two elect a new leader first.
            try await cluster.waitUntilHealthy([1, 2])
            try await etcd.put("/after-crash", "ok")
            #expect(try await etcd.get("/after-crash")?.text == "ok")
            let lease = try await etcd.grantLease(ttl: 60)
            #expect(try await etcd.keepAlive(lease.id).ttl == 60)
        }
    }
}

/// The error `body` threw, or nil when it returned (another error than an `EtcdError` as one of a code no test
/// expects).
func etcdError(_ body: () async throws -> Void) async -> EtcdError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? EtcdError ?? EtcdError(.invalidResponse, "not an EtcdError: \(error)")
    }
}
