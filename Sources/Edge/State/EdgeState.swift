import Failover
import Synchronization

/// The edge's live view of every endpoint group, shared by the proxy, the health checker and the admin API.
/// Reads take a copy, so a request routes on one consistent picture.
public final class EdgeState: Sendable {
    private let groups: Mutex<[EndpointGroup]>

    /// The state at start-up: the configured dials and weights, every endpoint healthy.
    public init(configuration: EdgeConfiguration) {
        groups = Mutex(configuration.regions.map { EndpointGroup($0, healthCheck: configuration.healthCheck) })
    }

    /// A copy of every endpoint group, in configuration order.
    public var snapshot: [EndpointGroup] { groups.withLock { $0 } }

    /// Sets a region's dial; `nil` when the region is unknown.
    func setDial(_ dial: TrafficDial, for region: RegionName) -> EndpointGroup? {
        groups.withLock { groups in
            guard let index = groups.firstIndex(where: { $0.region == region }) else { return nil }
            groups[index].dial = dial.rawValue
            return groups[index]
        }
    }

    /// Sets an endpoint's weight; the error names what was not found.
    func setWeight(_ weight: Int, region: RegionName, endpoint: Int) -> Result<EndpointGroup, LookupFailure> {
        groups.withLock { groups in
            guard let index = groups.firstIndex(where: { $0.region == region }) else { return .failure(.region) }
            guard groups[index].members.indices.contains(endpoint) else { return .failure(.endpoint) }
            groups[index].members[endpoint].weight = weight
            return .success(groups[index])
        }
    }

    /// Feeds a probe result to an endpoint's detector; returns the transition and the region's health after it.
    func record(
        _ event: EndpointHealthDetector<ContinuousClock.Instant>.Event, region: Int, endpoint: Int
    ) -> (transition: EndpointHealthDetector<ContinuousClock.Instant>.Transition?, regionHealthy: Bool) {
        groups.withLock { groups in
            let transition = groups[region].members[endpoint].health.handle(event)
            return (transition, groups[region].isHealthy)
        }
    }

    /// What an admin lookup did not find.
    enum LookupFailure: Error {
        case region
        case endpoint
    }
}
