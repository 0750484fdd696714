import Failover
import Foundation

/// How a region's control-plane replica reaches the lab: its own region directly, every other region through
/// this region's WAN routes (so a partition cuts it off as it would in the world).
public struct LabControlPlaneWiring: Sendable {
    /// What the replica probes: its region's first portal and database, by region.
    public var targets: [RegionName: LabProber.Target]
    /// Every replica's API as this one reaches it.
    public var peers: [RegionName: String]
    /// The etcd members' client URLs, this region's first.
    public var etcdEndpoints: [String]
    public var port: Int
    public var directory: String

    public init(region name: RegionName, in state: LabState) throws(LabError) {
        let own = try state.region(name)
        guard let replica = own.controller else {
            throw LabError(.unknownRegion, "\(name) has no control-plane replica")
        }
        var targets: [RegionName: LabProber.Target] = [:]
        var peers: [RegionName: String] = [name: replica.url]
        var etcd = [own.etcd?.clientURL].compactMap { $0 }
        for other in state.regions {
            if other.name == name {
                targets[name] = .init(
                    portalURL: other.portals.first?.url ?? "", databasePort: other.postgres.port)
                continue
            }
            if let portal = own.probePorts[other.name.rawValue],
                let database = own.databaseRoutes[other.name.rawValue]
            {
                targets[other.name] = .init(portalURL: "http://127.0.0.1:\(portal)", databasePort: database)
            }
            if let route = other.controller?.routes[name.rawValue] { peers[other.name] = "http://127.0.0.1:\(route)" }
            if let route = other.etcd?.clientRoutes[name.rawValue] { etcd.append("http://127.0.0.1:\(route)") }
        }
        self.targets = targets
        self.peers = peers
        self.etcdEndpoints = etcd
        self.port = replica.port
        self.directory = replica.directory
    }
}
