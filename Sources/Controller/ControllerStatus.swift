import Failover
import Foundation

/// `drctl status --json` and `GET /v1/status`: everything the controller knows, now.
public struct ControllerStatus: Codable, Sendable {
    public struct Region: Codable, Sendable {
        public var name: RegionName
        public var role: DatabaseRole
        /// The quorum's condition.
        public var condition: RegionCondition
        /// Each vantage point's verdict.
        public var votes: [String: RegionCondition]
        public var quorum: Int
        public var replayedLSN: LogSequenceNumber?
        public var lagBytes: UInt64?
        public var lagSeconds: Double?
        public var readOnly: Bool?
        public var dial: Int?
        public var drained: Bool
        public var awaitingRejoin: Bool
    }
    public struct Lease: Codable, Sendable {
        /// The region that may hold the lease (nil while it is fenced).
        public var holder: RegionName?
        public var durationMilliseconds: Int64
        /// Milliseconds a lease granted by the leader's replica now would last (0: it grants none now).
        public var remainingMilliseconds: Int64
        /// The replicas that recorded granting it in their running etcd session.
        public var granters: [RegionName]
    }

    /// One etcd member as the leader sees it.
    public struct EtcdMember: Codable, Sendable {
        public var endpoint: String
        public var healthy: Bool
    }

    /// The leading replica's region and term (the election key's create revision).
    public var leader: RegionName
    public var term: Int64
    /// Every replica's last heartbeat in etcd (a replica that stopped drops out after its etcd lease).
    public var controllers: [ControlStore.ReplicaHeartbeat]
    public var etcd: [EtcdMember]
    public var primary: RegionName
    public var epoch: Int
    public var mode: ControllerMode
    public var regions: [Region]
    public var lease: Lease
    public var operation: FailoverOperation?
    public var alarms: [Alarm]
    public var synchronousCommitSuspended: Bool
    public var promotions: Int
    public var settings: [String: String]
    public var recentEvents: [TimelineEvent]
}

extension Controller {
    public func status(
        controllers: [ControlStore.ReplicaHeartbeat], etcd: [ControllerStatus.EtcdMember], lease: ControllerStatus.Lease
    ) -> ControllerStatus {
        let regions = state.regions.map { region -> ControllerStatus.Region in
            let database = databases[region]
            let assessment = assessments[region]
            return ControllerStatus.Region(
                name: region, role: database?.role ?? .unknown, condition: assessment?.condition ?? .unknown,
                votes: assessment?.votes ?? [:], quorum: assessment?.quorum ?? 0, replayedLSN: database?.replayedLSN,
                lagBytes: region == state.primary
                    ? 0 : zip2(lastPrimaryLSN, database?.replayedLSN).map { $0.bytes(after: $1) },
                lagSeconds: region == state.primary ? 0 : database?.lagSeconds, readOnly: database?.readOnly,
                dial: dials[region]?.rawValue, drained: state.drained.contains(region),
                awaitingRejoin: state.awaitingRejoin.contains(region))
        }
        return ControllerStatus(
            leader: configuration.region, term: term, controllers: controllers, etcd: etcd, primary: state.primary,
            epoch: state.epoch, mode: state.mode, regions: regions, lease: lease,
            operation: state.operation, alarms: alarms.sorted,
            synchronousCommitSuspended: state.synchronousCommitSuspended, promotions: state.promotions,
            settings: Dictionary(uniqueKeysWithValues: settings.textValues.map { ($0.key, $0.value) }),
            recentEvents: Array(timeline.suffix(10)))
    }

    /// Events after `sequence`: from memory, or from etcd for what is older than the timeline kept in memory.
    public func events(after sequence: Int) async throws -> [TimelineEvent] {
        if let first = timeline.first, sequence < first.sequence - 1 {
            return try await store.events(after: sequence).filter { $0.sequence < first.sequence } + timeline
        }
        return Array(timeline.drop(while: { $0.sequence <= sequence }))
    }

    func snapshotForMetrics() -> ControllerMetrics.Snapshot {
        var conditions: [(String, String, RegionCondition)] = []
        for (vantage, regions) in detectors {
            for (region, detector) in regions { conditions.append((region.rawValue, vantage, detector.verdict)) }
        }
        return ControllerMetrics.Snapshot(
            conditions: conditions, assessments: assessments.map { ($0.key.rawValue, $0.value.condition) },
            lagBytes: state.standbys.compactMap { region in
                zip2(lastPrimaryLSN, databases[region]?.replayedLSN).map { (region.rawValue, $0.bytes(after: $1)) }
            },
            dials: dials.map { ($0.key.rawValue, $0.value.rawValue) },
            leaseAgeSeconds: lastLeaseRequest.map { $0.duration(to: .now).seconds }, epoch: state.epoch,
            promotions: state.promotions, rounds: rounds)
    }
}
