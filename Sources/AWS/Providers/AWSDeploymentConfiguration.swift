import Failover

/// What the AWS providers drive: the Aurora global cluster, the Global Accelerator endpoint groups by region,
/// and where to send API calls. Every field has a default; `validate()` names the bad key.
///
/// Read from a JSON file with the same keys (see `drctl aws --help`); absent keys keep their defaults.
public struct AWSDeploymentConfiguration: Hashable, Sendable, Codable {
    /// The Aurora global database's identifier (`GlobalClusterIdentifier`).
    public var globalClusterIdentifier: String?
    /// Region → Global Accelerator endpoint group ARN.
    public var endpointGroupARNs: [String: String]
    /// A Global Accelerator listener whose endpoint groups are found with `ListEndpointGroups` (for regions
    /// not in `endpointGroupARNs`).
    public var listenerARN: String?
    /// The region whose RDS API is called for the global cluster.
    public var controlRegion: String
    /// Sends every AWS call here instead of AWS (a local emulator), when set.
    public var endpointURL: String?
    /// How far back to look for the `AuroraGlobalDBReplicationLag` metric, in seconds; 0 turns lag reading off.
    public var replicationLagWindowSeconds: Int

    /// A configuration; every field has a default.
    public init(
        globalClusterIdentifier: String? = nil, endpointGroupARNs: [String: String] = [:], listenerARN: String? = nil,
        controlRegion: String = "us-east-1", endpointURL: String? = nil, replicationLagWindowSeconds: Int = 300
    ) {
        self.globalClusterIdentifier = globalClusterIdentifier
        self.endpointGroupARNs = endpointGroupARNs
        self.listenerARN = listenerARN
        self.controlRegion = controlRegion
        self.endpointURL = endpointURL
        self.replicationLagWindowSeconds = replicationLagWindowSeconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case globalClusterIdentifier, endpointGroupARNs, listenerARN, controlRegion, endpointURL
        case replicationLagWindowSeconds
    }

    /// Decodes the keys that are present; unknown keys are an error naming them, so typos do not pass silently.
    public init(from decoder: any Decoder) throws {
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        let any = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = any.allKeys.map(\.stringValue).filter({ !known.contains($0) }).sorted().first {
            throw FailoverError(.invalidArgument, "unknown configuration key '\(unknown)'")
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = AWSDeploymentConfiguration()
        globalClusterIdentifier = try container.decodeIfPresent(String.self, forKey: .globalClusterIdentifier)
        endpointGroupARNs =
            try container.decodeIfPresent([String: String].self, forKey: .endpointGroupARNs)
            ?? defaults.endpointGroupARNs
        listenerARN = try container.decodeIfPresent(String.self, forKey: .listenerARN)
        controlRegion = try container.decodeIfPresent(String.self, forKey: .controlRegion) ?? defaults.controlRegion
        endpointURL = try container.decodeIfPresent(String.self, forKey: .endpointURL)
        replicationLagWindowSeconds =
            try container.decodeIfPresent(Int.self, forKey: .replicationLagWindowSeconds)
            ?? defaults.replicationLagWindowSeconds
    }

    /// Throws `invalidArgument` naming the first bad key and its value.
    public func validate() throws(FailoverError) {
        if let id = globalClusterIdentifier, !Self.isClusterIdentifier(id) {
            throw FailoverError(
                .invalidArgument,
                "globalClusterIdentifier '\(id)' must start with a letter and hold only letters, digits and dashes (1–63)"
            )
        }
        if !RegionName(controlRegion).isWellFormed {
            throw FailoverError(.invalidArgument, "controlRegion '\(controlRegion)' is not an AWS region name")
        }
        for (region, arn) in endpointGroupARNs.sorted(by: { $0.key < $1.key }) {
            if !RegionName(region).isWellFormed {
                throw FailoverError(.invalidArgument, "endpointGroupARNs key '\(region)' is not an AWS region name")
            }
            if !Self.isGlobalAcceleratorARN(arn, containing: "/endpoint-group/") {
                throw FailoverError(
                    .invalidArgument,
                    "endpointGroupARNs[\(region)] '\(arn)' is not a Global Accelerator endpoint group ARN")
            }
        }
        if let listenerARN, !Self.isGlobalAcceleratorARN(listenerARN, containing: "/listener/") {
            throw FailoverError(
                .invalidArgument, "listenerARN '\(listenerARN)' is not a Global Accelerator listener ARN")
        }
        if let endpointURL {
            do {
                _ = try AWSEndpoint(url: endpointURL)
            } catch {
                throw FailoverError(
                    .invalidArgument, "endpointURL '\(endpointURL)' is not of the form http(s)://host[:port]")
            }
        }
        if !(0...86_400).contains(replicationLagWindowSeconds) {
            throw FailoverError(
                .invalidArgument,
                "replicationLagWindowSeconds '\(replicationLagWindowSeconds)' must be within 0...86400")
        }
    }

    /// The endpoint override, parsed (call `validate()` first).
    public var endpointOverride: AWSEndpoint? {
        endpointURL.flatMap { try? AWSEndpoint(url: $0) }
    }

    static func isClusterIdentifier(_ id: String) -> Bool {
        guard let first = id.first, first.isASCII, first.isLetter, id.count <= 63 else { return false }
        return id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    static func isGlobalAcceleratorARN(_ arn: String, containing part: String) -> Bool {
        arn.hasPrefix("arn:aws:globalaccelerator::") && arn.contains(part) && !arn.contains(" ")
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
