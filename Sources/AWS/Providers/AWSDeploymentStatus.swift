import Failover
import Foundation

/// What `drctl aws status` shows: per region, the database role and lag and the traffic dial and health.
public struct AWSDeploymentStatus: Hashable, Sendable {
    /// One region's row.
    public struct Row: Hashable, Sendable {
        /// The region.
        public var region: RegionName
        /// The database's replication status, when the region has a member cluster.
        public var database: ReplicationStatus?
        /// The region's endpoint group, when it has one.
        public var traffic: EndpointGroupStatus?
    }

    /// The rows, sorted by region.
    public var rows: [Row]

    /// Combines the two providers' views by region.
    public init(replication: [ReplicationStatus], traffic: [EndpointGroupStatus]) {
        let regions = Set(replication.map(\.region)).union(traffic.map(\.region)).sorted()
        rows = regions.map { region in
            Row(
                region: region, database: replication.first { $0.region == region },
                traffic: traffic.first { $0.region == region })
        }
    }

    /// One line per region: `eu-west-1  db=standby lag=0.12s  traffic=0% healthy=yes`.
    public var lines: [String] {
        let width = rows.map(\.region.rawValue.count).max() ?? 0
        return rows.map { row in
            let name = row.region.rawValue.padding(toLength: width, withPad: " ", startingAt: 0)
            let database =
                row.database.map { status in
                    "db=\(status.role.rawValue)" + (status.lagSeconds.map { " lag=\(Self.seconds($0))" } ?? "")
                } ?? "db=-"
            let traffic =
                row.traffic.map { group in
                    "traffic=\(group.dial) healthy=\(group.healthy.map { $0 ? "yes" : "no" } ?? "unknown")"
                } ?? "traffic=-"
            return "\(name)  \(database)  \(traffic)"
        }
    }

    static func seconds(_ value: Double) -> String {
        let hundredths = (value * 100).rounded()
        return "\(Int(hundredths) / 100).\(String(format: "%02d", Int(hundredths) % 100))s"
    }
}
