import Failover

/// The lab's `TrafficManager`: reads and sets the edge's traffic dials through its admin API, as the AWS
/// provider does through Global Accelerator.
public struct EdgeTrafficManager: TrafficManager {
    public let admin: EdgeAdminClient

    /// A traffic manager over an admin client.
    public init(admin: EdgeAdminClient) {
        self.admin = admin
    }

    /// Every region's dial and the edge's health verdict.
    public func endpointGroups() async throws -> [EndpointGroupStatus] {
        do {
            return try await admin.endpointGroups().endpointGroups.map {
                EndpointGroupStatus(
                    region: $0.region, dial: TrafficDial(rawValue: $0.dial) ?? .off, healthy: $0.healthy)
            }
        } catch {
            throw Self.failoverError(error)
        }
    }

    /// Sets one region's dial.
    public func setTrafficDial(_ dial: TrafficDial, for region: RegionName) async throws {
        do {
            try await admin.setDial(dial, for: region)
        } catch {
            throw Self.failoverError(error)
        }
    }

    /// The failover library's code for an edge error, which the controller understands.
    static func failoverError(_ error: EdgeError) -> FailoverError {
        switch (error.code, error.status) {
        case (.adminRequestRefused, 404): FailoverError(.unknownRegion, error.message)
        case (.adminRequestRefused, 400), (.adminRequestRefused, 422): FailoverError(.invalidArgument, error.message)
        default: FailoverError(.providerFailure, error.message)
        }
    }
}
