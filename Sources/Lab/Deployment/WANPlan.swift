import Failover
import Foundation

/// The WAN emulator's start-up plan, written to `<dir>/wan.json` by `lab up` and read by `drctl lab wan`:
/// every route with its fixed listening port, and the initial conditions of every link.
public struct WANPlan: Codable, Sendable, Equatable {
    public struct Link: Codable, Sendable, Equatable {
        public var a: String
        public var b: String
        public var conditions: LinkConditions
    }

    public var adminPort: Int
    public var routes: [WANRoute]
    public var links: [Link]

    /// The node name of everything outside the regions (the edge, the controller, clients).
    public static let outside = "outside"

    /// Route names, one scheme for the whole lab.
    public enum RouteName {
        /// `from` reaching `to`'s database (replication, and the writer endpoint when `to` is the primary).
        public static func database(from: RegionName, to: RegionName) -> String { "db:\(from)->\(to)" }
        /// `region`'s writer endpoint: leads to the current primary's database.
        public static func writer(_ region: RegionName) -> String { "writer:\(region)" }
        /// The outside reaching portal `index` of `region`.
        public static func ingress(_ region: RegionName, _ index: Int) -> String { "ingress:\(region):\(index)" }
        /// `from` reaching `to`'s control-plane replica (reports, calls passed on to the leader, leases).
        public static func controller(from: RegionName, to: RegionName) -> String { "controller:\(from)->\(to)" }
        /// The control plane's actions reaching `region`'s database.
        public static func controlDatabase(_ region: RegionName) -> String { "control-db:\(region)" }
        /// `from`'s probe agent reaching `to`'s first portal.
        public static func probe(from: RegionName, to: RegionName) -> String { "probe:\(from)->\(to)" }
        /// Every other etcd member reaching `region`'s member's peer port.
        public static func etcdPeer(_ region: RegionName) -> String { "etcd-peer:\(region)" }
        /// Node `from` (a region, or the outside) reaching `to`'s etcd member's client port.
        public static func etcdClient(from: String, to: RegionName) -> String { "etcd:\(from)->\(to)" }
    }

    /// The ports of every route of one region.
    public struct RegionRoutes: Sendable {
        public var writer: Int
        public var databases: [String: Int] = [:]
        public var ingress: [Int] = []
        public var controlDatabase: Int
        /// Routes to this region's control-plane replica, by the region they start in.
        public var controllers: [String: Int] = [:]
        public var probes: [String: Int] = [:]
        /// The route to this region's etcd peer port (its advertised peer URL), when it has a member.
        public var etcdPeer: Int?
        /// Routes to this region's etcd client port, by the node they start in.
        public var etcdClients: [String: Int] = [:]
    }

    /// The ports an etcd member listens on.
    public struct EtcdPorts: Sendable {
        public var client: Int
        public var peer: Int
    }

    /// The plan for a lab whose ports are already chosen.
    static func make(
        regions: [RegionName], primary: RegionName, postgresPorts: [RegionName: Int], portalPorts: [RegionName: [Int]],
        controllerPorts: [RegionName: Int], etcdPorts: [RegionName: EtcdPorts] = [:], latencyScale: Double,
        pickPort: () throws -> Int
    ) throws -> (plan: WANPlan, routes: [RegionName: RegionRoutes]) {
        var routes: [WANRoute] = []
        var ports: [RegionName: RegionRoutes] = [:]
        func route(
            _ name: String, from: String, to: String, port target: Int, listenPort: Int? = nil,
            sourceByPeerURL: [String: String]? = nil
        ) throws -> Int {
            let route = WANRoute(
                name: name, from: from, to: to, listenPort: try listenPort ?? pickPort(), targetHost: "127.0.0.1",
                targetPort: target, sourceByPeerURL: sourceByPeerURL)
            routes.append(route)
            return route.listenPort
        }
        // Every member's advertised peer URL first: each peer route tells its senders apart by them.
        let peerRoutePorts = try Dictionary(uniqueKeysWithValues: etcdPorts.keys.map { ($0, try pickPort()) })
        for region in regions {
            var own = RegionRoutes(
                writer: try route(
                    RouteName.writer(region), from: region.rawValue, to: primary.rawValue, port: postgresPorts[primary]!
                ),
                controlDatabase: try route(
                    RouteName.controlDatabase(region), from: outside, to: region.rawValue, port: postgresPorts[region]!)
            )
            for other in regions where other != region {
                own.databases[other.rawValue] = try route(
                    RouteName.database(from: region, to: other), from: region.rawValue, to: other.rawValue,
                    port: postgresPorts[other]!)
                own.controllers[other.rawValue] = try route(
                    RouteName.controller(from: other, to: region), from: other.rawValue, to: region.rawValue,
                    port: controllerPorts[region]!)
                own.probes[other.rawValue] = try route(
                    RouteName.probe(from: region, to: other), from: region.rawValue, to: other.rawValue,
                    port: portalPorts[other]![0])
            }
            for (index, portalPort) in (portalPorts[region] ?? []).enumerated() {
                own.ingress.append(
                    try route(RouteName.ingress(region, index), from: outside, to: region.rawValue, port: portalPort))
            }
            if let etcd = etcdPorts[region], let peerRoutePort = peerRoutePorts[region] {
                let senders = peerRoutePorts.filter { $0.key != region }
                own.etcdPeer = try route(
                    RouteName.etcdPeer(region), from: outside, to: region.rawValue, port: etcd.peer,
                    listenPort: peerRoutePort,
                    sourceByPeerURL: Dictionary(
                        uniqueKeysWithValues: senders.map { ("http://127.0.0.1:\($0.value)", $0.key.rawValue) }))
                for node in regions.filter({ $0 != region }).map(\.rawValue) + [outside] {
                    own.etcdClients[node] = try route(
                        RouteName.etcdClient(from: node, to: region), from: node, to: region.rawValue,
                        port: etcd.client)
                }
            }
            ports[region] = own
        }
        var links: [Link] = []
        let nodes = regions.map(\.rawValue) + [outside]
        for (index, a) in nodes.enumerated() {
            for b in nodes[(index + 1)...] {
                links.append(
                    Link(a: a, b: b, conditions: DefaultLatencies.conditions(between: a, and: b, scale: latencyScale)))
            }
        }
        return (WANPlan(adminPort: try pickPort(), routes: routes, links: links), ports)
    }
}
