import Failover

extension AuroraGlobalReplication {
    /// Every member's database as Aurora's API describes it, by region, in the shape of a probe's answer: the
    /// writer is the primary, and the secondaries it lists as `Readers` (and that are not `pending-resync`) stream
    /// from it; secondaries carry their CloudWatch lag. Aurora exposes no LSNs and no synchronous standbys. This is
    /// the RDS control plane's view, not an answer from the database itself.
    public func databases() async throws -> [RegionName: DatabaseProbe] {
        let cluster = try await globalCluster()
        return await Self.databases(in: cluster) { member, region in
            await replicationLag(of: member, in: region)
        }
    }

    /// `databases()` for a cluster already read; `lag` gives a secondary's lag in seconds (nil when unknown).
    static func databases(
        in cluster: GlobalCluster, lag: (GlobalClusterMember, String) async -> Double?
    ) async -> [RegionName: DatabaseProbe] {
        let resyncing = Set(cluster.members.filter { $0.synchronizationStatus == "pending-resync" }.map(\.clusterArn))
        var databases: [RegionName: DatabaseProbe] = [:]
        for member in cluster.members {
            guard let region = member.region else { continue }
            guard member.isWriter else {
                databases[RegionName(region)] = DatabaseProbe(
                    role: .standby, replayedLSN: nil, flushedLSN: nil, lagSeconds: await lag(member, region))
                continue
            }
            // Aurora demotes the writer a switchover or failover starts from by itself; until that ends it is not
            // a writer the controller should fence.
            let demoting = cluster.failoverState.map {
                $0.fromClusterArn == member.clusterArn && $0.status != "cancelling"
            }
            databases[RegionName(region)] = DatabaseProbe(
                role: .primary, replayedLSN: nil, flushedLSN: nil,
                streaming: member.readers.filter { !resyncing.contains($0) }
                    .compactMap(GlobalClusterMember.region(ofClusterArn:)).sorted(),
                readOnly: demoting ?? false)
        }
        return databases
    }

    /// The region of the member that is the writer now; throws when Aurora names none (a failover under way) or
    /// cannot be read.
    public func primaryRegion() async throws(FailoverError) -> RegionName {
        let cluster = try await globalCluster()
        let writers = cluster.members.filter(\.isWriter).compactMap(\.region)
        guard writers.count == 1, let writer = writers.first else {
            throw FailoverError(
                .providerFailure,
                "Aurora global cluster '\(globalClusterIdentifier)' has \(writers.count) writers now "
                    + "(status \(cluster.status ?? "unknown")); expected one")
        }
        return RegionName(writer)
    }
}
