import Failover

/// One endpoint as the admin API reports it.
public struct EdgeEndpointStatus: Codable, Sendable, Equatable {
    public var index: Int
    public var url: String
    public var weight: Int
    public var healthy: Bool
    public var consecutiveFailures: Int
    public var consecutiveSuccesses: Int
    /// Why the last failed health check failed.
    public var lastFailure: String?
}

/// One region's endpoint group as the admin API reports it.
public struct EdgeEndpointGroupStatus: Codable, Sendable, Equatable {
    public var region: RegionName
    public var dial: Int
    /// At least one endpoint with weight above 0 is healthy.
    public var healthy: Bool
    public var endpoints: [EdgeEndpointStatus]

    init(_ group: EndpointGroup) {
        region = group.region
        dial = group.dial
        healthy = group.isHealthy
        endpoints = group.members.enumerated().map { index, member in
            EdgeEndpointStatus(
                index: index, url: member.url, weight: member.weight, healthy: member.health.status == .healthy,
                consecutiveFailures: member.health.consecutiveFailures,
                consecutiveSuccesses: member.health.consecutiveSuccesses, lastFailure: member.health.lastFailure)
        }
    }
}

/// The answer of `GET /endpoint-groups`.
public struct EdgeEndpointGroupList: Codable, Sendable, Equatable {
    public var primaryRegion: RegionName?
    /// No region is healthy: the edge routes as if all were.
    public var failOpen: Bool
    public var endpointGroups: [EdgeEndpointGroupStatus]
}

/// The body of `PUT /endpoint-groups/{region}`.
struct DialChange: Codable {
    var dial: Int
}

/// The body of `PUT /endpoint-groups/{region}/endpoints/{index}`.
struct WeightChange: Codable {
    var weight: Int
}
