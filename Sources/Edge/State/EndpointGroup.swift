import Failover

/// One region's endpoint group as the edge holds it: dial, endpoints with weights and health.
public struct EndpointGroup: Sendable {
    /// One endpoint of the group.
    public struct Member: Sendable {
        public var url: String
        public var weight: Int
        public var health: EndpointHealthDetector<ContinuousClock.Instant>

        /// Whether the endpoint takes traffic when regions are judged by health.
        public var isServing: Bool { weight > 0 && health.status == .healthy }
    }

    public var region: RegionName
    public var dial: Int
    public var members: [Member]

    /// A region is healthy when at least one endpoint with weight above 0 is healthy.
    public var isHealthy: Bool { members.contains(where: \.isServing) }

    init(_ group: EdgeConfiguration.RegionGroup, healthCheck: EdgeConfiguration.HealthCheck) {
        self.region = group.name
        self.dial = group.dial
        self.members = group.endpoints.map {
            Member(
                url: $0.url, weight: $0.weight,
                health: EndpointHealthDetector(
                    failureThreshold: healthCheck.failureThreshold, recoveryThreshold: healthCheck.recoveryThreshold))
        }
    }
}
