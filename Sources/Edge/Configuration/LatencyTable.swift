import Failover

/// How far a client location is from each region: locations map to a home region at 0 ms, and regions are
/// apart by a one-way latency in milliseconds (symmetric); pairs not listed are `defaultMilliseconds` apart.
public struct LatencyTable: Codable, Sendable, Equatable {
    /// A one-way latency between two regions.
    public struct Link: Codable, Sendable, Equatable {
        public var between: RegionName
        public var and: RegionName
        public var milliseconds: Double

        /// The link `a`↔`b` with a one-way latency in milliseconds.
        public init(_ a: RegionName, _ b: RegionName, milliseconds: Double) {
            self.between = a
            self.and = b
            self.milliseconds = milliseconds
        }
    }

    /// Client locations (`us`, `eu`, `ap`) and the region each one sits in.
    public var locations: [String: RegionName]
    public var links: [Link]
    public var defaultMilliseconds: Double

    /// A table from its parts.
    public init(locations: [String: RegionName], links: [Link], defaultMilliseconds: Double = 60) {
        self.locations = locations
        self.links = links
        self.defaultMilliseconds = defaultMilliseconds
    }

    /// The lab's three regions with real one-way distances: us → us-east-1, eu → eu-west-1,
    /// ap → ap-southeast-2 at 0 ms; us-east-1↔eu-west-1 38 ms, us-east-1↔ap-southeast-2 100 ms,
    /// eu-west-1↔ap-southeast-2 130 ms; any other pair 60 ms.
    public static let lab = LatencyTable(
        locations: ["us": "us-east-1", "eu": "eu-west-1", "ap": "ap-southeast-2"],
        links: [
            Link("us-east-1", "eu-west-1", milliseconds: 38),
            Link("us-east-1", "ap-southeast-2", milliseconds: 100),
            Link("eu-west-1", "ap-southeast-2", milliseconds: 130),
        ],
        defaultMilliseconds: 60)

    /// The region a location stands for: its home region, or the location itself when it names a region.
    public func homeRegion(of location: String) -> RegionName {
        locations[location] ?? RegionName(location)
    }

    /// Whether `location` is a known location or one of `regions`.
    public func knows(_ location: String, regions: [RegionName]) -> Bool {
        locations[location] != nil || regions.contains(RegionName(location))
    }

    /// The one-way latency from a client at `location` to `region`.
    public func milliseconds(from location: String, to region: RegionName) -> Double {
        let home = homeRegion(of: location)
        if home == region { return 0 }
        let link = links.first { ($0.between == home && $0.and == region) || ($0.between == region && $0.and == home) }
        return link?.milliseconds ?? defaultMilliseconds
    }
}
