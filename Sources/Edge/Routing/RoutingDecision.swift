import Failover

/// Where one request goes: the endpoint to try first, the one to retry on (in the next nearest region), and
/// whether the edge is failing open because no region is healthy.
public struct RoutingDecision: Sendable, Equatable {
    /// One endpoint of one region.
    public struct Target: Sendable, Equatable {
        public var region: RegionName
        public var endpoint: Int
        public var url: String
    }

    /// First the chosen endpoint, then at most one retry target in another region.
    public var targets: [Target]
    /// No region was healthy, so the edge routed as if all were (as Global Accelerator does).
    public var failOpen: Bool
}
