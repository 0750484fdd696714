import Failover
import Foundation
import Logging

/// The `DatabaseReplication` of the AWS deployment: an Aurora PostgreSQL Global Database. The member cluster with
/// `IsWriter` is the primary; a promotion is `SwitchoverGlobalCluster` (no loss) unless a person allows data loss
/// (`FailoverGlobalCluster` with `AllowDataLoss`), a planned switchover is `SwitchoverGlobalCluster`, and lag comes from CloudWatch's `AuroraGlobalDBReplicationLag`.
public struct AuroraGlobalReplication: DatabaseReplication {
    /// The global cluster's identifier.
    public let globalClusterIdentifier: String
    /// How far back to look for the lag metric; zero turns lag reading off.
    public let lagWindow: Duration
    let session: AWSSession
    let rds: RDSClient
    let now: @Sendable () -> Date

    /// A provider for the configuration's global cluster; throws when the configuration names none.
    public init(
        configuration: AWSDeploymentConfiguration, session: AWSSession, now: @escaping @Sendable () -> Date = { Date() }
    ) throws(FailoverError) {
        guard let identifier = configuration.globalClusterIdentifier else {
            throw FailoverError(.invalidArgument, "no Aurora global cluster: set globalClusterIdentifier")
        }
        self.globalClusterIdentifier = identifier
        self.lagWindow = .seconds(configuration.replicationLagWindowSeconds)
        self.session = session
        self.rds = session.rds(region: configuration.controlRegion)
        self.now = now
    }

    /// The global cluster as RDS describes it now.
    public func globalCluster() async throws(FailoverError) -> GlobalCluster {
        let clusters = try await mappingAWSErrors { () async throws(AWSError) in
            try await rds.describeGlobalClusters(identifier: globalClusterIdentifier)
        }
        guard let cluster = clusters.first(where: { $0.identifier == globalClusterIdentifier }) else {
            throw FailoverError(.invalidArgument, "Aurora global cluster '\(globalClusterIdentifier)' does not exist")
        }
        return cluster
    }

    /// One entry per member cluster, by region: the writer is primary, the others standbys with their lag.
    /// Aurora exposes no LSNs, so those stay `nil`.
    public func replicationStatus() async throws -> [ReplicationStatus] {
        try await databases().map {
            ReplicationStatus(region: $0.key, role: $0.value.role, lagSeconds: $0.value.lagSeconds)
        }
        .sorted { $0.region < $1.region }
    }

    /// Failover to `region`; nothing to do when it is already the primary. With `allowingDataLoss` (a person
    /// forced it) `FailoverGlobalCluster` with `AllowDataLoss=true`: the secondary is promoted at once, and writes
    /// not yet replicated to it are lost. Without it, `SwitchoverGlobalCluster`, which waits until the target has
    /// everything and so needs the old primary: when that fails (its region is lost) the failover is refused, for
    /// a person to decide.
    public func promote(_ region: RegionName, allowingDataLoss: Bool) async throws {
        let cluster = try await globalCluster()
        let target = try member(of: cluster, in: region)
        if target.isWriter { return }
        if allowingDataLoss {
            _ = try await mappingAWSErrors { () async throws(AWSError) in
                try await rds.failoverGlobalCluster(
                    identifier: globalClusterIdentifier, target: target.clusterArn, allowDataLoss: true)
            }
            return
        }
        do {
            _ = try await mappingAWSErrors { () async throws(AWSError) in
                try await rds.switchoverGlobalCluster(identifier: globalClusterIdentifier, target: target.clusterArn)
            }
        } catch {
            throw FailoverError(
                .refused,
                "\(region) cannot be promoted without losing writes (SwitchoverGlobalCluster: \(error.message)); "
                    + "to accept the loss of writes not yet replicated: drctl failover --to \(region) --force")
        }
    }

    /// Planned switchover to `region` (`SwitchoverGlobalCluster`, no data loss); nothing to do when it is already
    /// the primary.
    public func switchover(to region: RegionName) async throws {
        let cluster = try await globalCluster()
        let target = try member(of: cluster, in: region)
        if target.isWriter { return }
        _ = try await mappingAWSErrors { () async throws(AWSError) in
            try await rds.switchoverGlobalCluster(identifier: globalClusterIdentifier, target: target.clusterArn)
        }
    }

    /// Aurora re-adds the old primary as a secondary by itself once its region recovers after
    /// `FailoverGlobalCluster`, so there is nothing to run: this only checks that `region` is back as a standby.
    public func rejoin(_ region: RegionName) async throws {
        let cluster = try await globalCluster()
        guard let member = cluster.members.first(where: { $0.region == region.rawValue }) else {
            throw FailoverError(
                .notSupported,
                "Aurora rejoins a former primary by itself after FailoverGlobalCluster; \(region) is not a member of "
                    + "'\(globalClusterIdentifier)' yet: wait until its cluster is back, or re-create it as a secondary"
            )
        }
        if member.isWriter {
            throw FailoverError(.refused, "\(region) is the primary of '\(globalClusterIdentifier)'; nothing to rejoin")
        }
    }

    func member(of cluster: GlobalCluster, in region: RegionName) throws(FailoverError) -> GlobalClusterMember {
        guard let member = cluster.members.first(where: { $0.region == region.rawValue }) else {
            let regions = cluster.members.compactMap(\.region).sorted().joined(separator: ", ")
            throw FailoverError(
                .unknownRegion, "\(region) has no cluster in '\(globalClusterIdentifier)' (members: \(regions))")
        }
        return member
    }

    /// The latest one-minute maximum of `AuroraGlobalDBReplicationLag` (milliseconds) in seconds; `nil` when
    /// CloudWatch has no recent data or cannot be read: lag is advisory and must not hide the roles.
    func replicationLag(of member: GlobalClusterMember, in region: String) async -> Double? {
        guard lagWindow > .zero, let cluster = member.clusterIdentifier else { return nil }
        let end = now()
        do {
            let points = try await session.cloudWatch(region: region).getMetricStatistics(
                namespace: "AWS/RDS", metricName: "AuroraGlobalDBReplicationLag",
                dimensions: [MetricDimension("DBClusterIdentifier", cluster)],
                from: end.addingTimeInterval(-Double(lagWindow.components.seconds)), to: end, periodSeconds: 60)
            return points.last.map { $0.value / 1000 }
        } catch {
            session.logger.warning(
                "cannot read replication lag",
                metadata: ["region": "\(region)", AWSLogMetadata.errorCode: "\(error.code)"])
            return nil
        }
    }
}
