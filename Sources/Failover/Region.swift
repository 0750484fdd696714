/// The name of a region, such as `us-east-1`; the unit of failure and of failover.
public struct RegionName: RawRepresentable, Hashable, Comparable, Codable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Whether the name has the shape of an AWS region name (`xx-word-N`): lower-case letters, digits and dashes.
    public var isWellFormed: Bool {
        let parts = rawValue.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, rawValue.count <= 32 else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { ($0.isASCII && $0.isLowercase) || $0.isNumber }
        } && parts.last!.allSatisfy(\.isNumber)
    }
}

/// The role a region's database plays in replication.
public enum DatabaseRole: String, Codable, Sendable {
    case primary
    case standby
    case unknown
}
