import Failover

/// The `TrafficManager` of the AWS deployment: one Global Accelerator endpoint group per region, whose traffic
/// dial is the region's share of traffic.
public struct AWSTrafficManager: TrafficManager {
    /// Which endpoint groups belong to which region.
    public let configuration: AWSDeploymentConfiguration
    let globalAccelerator: GlobalAcceleratorClient

    /// A traffic manager over the session's Global Accelerator client.
    public init(configuration: AWSDeploymentConfiguration, session: AWSSession) {
        self.configuration = configuration
        self.globalAccelerator = session.globalAccelerator()
    }

    /// Region → endpoint group ARN: the configured ones, plus the listener's groups for regions not configured.
    public func endpointGroupARNs() async throws(FailoverError) -> [RegionName: String] {
        var arns = Dictionary(
            uniqueKeysWithValues: configuration.endpointGroupARNs.map { (RegionName($0.key), $0.value) })
        if let listener = configuration.listenerARN {
            let groups = try await mappingAWSErrors { () async throws(AWSError) in
                try await globalAccelerator.listEndpointGroups(listenerArn: listener)
            }
            for group in groups {
                guard let region = group.region else { continue }
                arns[RegionName(region)] = arns[RegionName(region)] ?? group.arn
            }
        }
        if arns.isEmpty {
            throw FailoverError(
                .invalidArgument, "no Global Accelerator endpoint groups: set endpointGroupARNs or listenerARN")
        }
        return arns
    }

    /// Every region's endpoint group: its dial and whether Global Accelerator sees a healthy endpoint in it.
    public func endpointGroups() async throws -> [EndpointGroupStatus] {
        var statuses: [EndpointGroupStatus] = []
        for (region, arn) in try await endpointGroupARNs().sorted(by: { $0.key < $1.key }) {
            let group = try await mappingAWSErrors { () async throws(AWSError) in
                try await globalAccelerator.describeEndpointGroup(arn: arn)
            }
            let percent = group.trafficDialPercentage ?? 100
            guard let dial = TrafficDial(rawValue: Int(percent.rounded())) else {
                throw FailoverError(.providerFailure, "endpoint group \(arn) reports traffic dial \(percent)")
            }
            statuses.append(EndpointGroupStatus(region: region, dial: dial, healthy: Self.health(of: group)))
        }
        return statuses
    }

    /// Sets the region's endpoint group's traffic dial (`UpdateEndpointGroup` `TrafficDialPercentage`).
    public func setTrafficDial(_ dial: TrafficDial, for region: RegionName) async throws {
        guard let arn = try await endpointGroupARNs()[region] else {
            throw FailoverError(.unknownRegion, "no Global Accelerator endpoint group for region \(region)")
        }
        _ = try await mappingAWSErrors { () async throws(AWSError) in
            try await globalAccelerator.updateTrafficDial(endpointGroupArn: arn, percentage: Double(dial.rawValue))
        }
    }

    /// Healthy when any endpoint is `HEALTHY`, unhealthy when all are `UNHEALTHY`, unknown otherwise
    /// (no endpoints, or checks still `INITIAL`).
    static func health(of group: EndpointGroup) -> Bool? {
        let states = group.endpoints.compactMap(\.healthState)
        if states.contains("HEALTHY") { return true }
        if !states.isEmpty && states.allSatisfy({ $0 == "UNHEALTHY" }) { return false }
        return nil
    }
}
