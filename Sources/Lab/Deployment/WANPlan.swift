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
    }

    /// The plan for a lab whose ports are already chosen.
    static func make(
        regions: [RegionName], primary: RegionName, postgresPorts: [RegionName: Int], portalPorts: [RegionName: [Int]],
        latencyScale: Double, pickPort: () throws -> Int
    ) throws -> (
        plan: WANPlan, writerPorts: [RegionName: Int], databaseRoutes: [RegionName: [String: Int]],
        ingressPorts: [RegionName: [Int]]
    ) {
        var routes: [WANRoute] = []
        var writerPorts: [RegionName: Int] = [:]
        var databaseRoutes: [RegionName: [String: Int]] = [:]
        var ingressPorts: [RegionName: [Int]] = [:]
        for region in regions {
            let writer = WANRoute(
                name: RouteName.writer(region), from: region.rawValue, to: primary.rawValue, listenPort: try pickPort(),
                targetHost: "127.0.0.1", targetPort: postgresPorts[primary]!)
            routes.append(writer)
            writerPorts[region] = writer.listenPort
            for other in regions where other != region {
                let route = WANRoute(
                    name: RouteName.database(from: region, to: other), from: region.rawValue, to: other.rawValue,
                    listenPort: try pickPort(), targetHost: "127.0.0.1", targetPort: postgresPorts[other]!)
                routes.append(route)
                databaseRoutes[region, default: [:]][other.rawValue] = route.listenPort
            }
            for (index, portalPort) in (portalPorts[region] ?? []).enumerated() {
                let route = WANRoute(
                    name: RouteName.ingress(region, index), from: outside, to: region.rawValue,
                    listenPort: try pickPort(), targetHost: "127.0.0.1", targetPort: portalPort)
                routes.append(route)
                ingressPorts[region, default: []].append(route.listenPort)
            }
        }
        var links: [Link] = []
        let nodes = regions.map(\.rawValue) + [outside]
        for (index, a) in nodes.enumerated() {
            for b in nodes[(index + 1)...] {
                links.append(
                    Link(a: a, b: b, conditions: DefaultLatencies.conditions(between: a, and: b, scale: latencyScale)))
            }
        }
        return (
            WANPlan(adminPort: try pickPort(), routes: routes, links: links), writerPorts, databaseRoutes, ingressPorts
        )
    }
}
