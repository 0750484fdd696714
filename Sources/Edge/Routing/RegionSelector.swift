import Failover

/// Chooses the region and endpoint for a request: the nearest healthy region whose dial is above 0 takes its
/// dial's share, the rest spills to the next nearest; inside the region, endpoints share by weight.
/// Pure: the randomness comes in as a generator, so client affinity is a seeded generator.
public struct RegionSelector: Sendable {
    public var latencies: LatencyTable

    /// A selector over a latency table.
    public init(latencies: LatencyTable) {
        self.latencies = latencies
    }

    /// The decision for a client at `location`; no targets when every region is drained.
    public func route(
        location: String, groups: [EndpointGroup], using generator: inout some RandomNumberGenerator
    ) -> RoutingDecision {
        let healthy = groups.filter(\.isHealthy)
        let failOpen = healthy.isEmpty
        let pool = failOpen ? groups.filter { $0.members.contains { $0.weight > 0 } } : healthy
        let candidates = nearestFirst(pool.filter { $0.dial > 0 }, from: location)
        guard !candidates.isEmpty else { return RoutingDecision(targets: [], failOpen: failOpen) }

        var chosen = 0
        for (index, group) in candidates.enumerated()
        where Int.random(in: 0..<100, using: &generator) < group.dial {
            chosen = index
            break
        }
        var order = [candidates[chosen]]
        order += candidates.enumerated().filter { $0.offset != chosen }.map(\.element)
        let targets = order.prefix(2).compactMap { pickEndpoint(in: $0, failOpen: failOpen, using: &generator) }
        return RoutingDecision(targets: targets, failOpen: failOpen)
    }

    /// Regions ordered by latency from `location`, ties in configuration order.
    func nearestFirst(_ groups: [EndpointGroup], from location: String) -> [EndpointGroup] {
        groups.enumerated().sorted { lhs, rhs in
            let left = latencies.milliseconds(from: location, to: lhs.element.region)
            let right = latencies.milliseconds(from: location, to: rhs.element.region)
            return left != right ? left < right : lhs.offset < rhs.offset
        }.map(\.element)
    }

    /// A weighted choice among the group's serving endpoints (every weighted endpoint when failing open).
    func pickEndpoint(
        in group: EndpointGroup, failOpen: Bool, using generator: inout some RandomNumberGenerator
    ) -> RoutingDecision.Target? {
        let eligible = group.members.indices.filter {
            failOpen ? group.members[$0].weight > 0 : group.members[$0].isServing
        }
        let total = eligible.reduce(0) { $0 + group.members[$1].weight }
        guard total > 0 else { return nil }
        var ticket = Int.random(in: 0..<total, using: &generator)
        for index in eligible {
            ticket -= group.members[index].weight
            if ticket < 0 {
                return .init(region: group.region, endpoint: index, url: group.members[index].url)
            }
        }
        return nil
    }
}
