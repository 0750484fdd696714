/// A PostgreSQL write-ahead-log position (`pg_lsn`), written `X/Y` in hexadecimal.
/// Consistency tokens, replication lag and candidate selection all compare these.
public struct LogSequenceNumber: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let value: UInt64

    public init(_ value: UInt64) { self.value = value }

    /// Parses the textual form `16/B374D848`; `nil` when the text is not a valid LSN.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...8).contains(parts[0].count), (1...8).contains(parts[1].count),
            let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16)
        else { return nil }
        self.value = high << 32 | low
    }

    public var description: String {
        String(value >> 32, radix: 16, uppercase: true) + "/" + String(value & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let lsn = LogSequenceNumber(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an LSN: \(text)")
        }
        self = lsn
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Bytes of WAL between two positions; zero when `other` is ahead.
    public func bytes(after other: LogSequenceNumber) -> UInt64 {
        value > other.value ? value - other.value : 0
    }
}
