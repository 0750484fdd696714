/// A 64-bit integer as the v3 JSON gateway writes it: a decimal string (proto3's JSON mapping), read also from a
/// number. Revisions, lease IDs and TTLs are int64; member IDs are uint64.
struct WireInteger<Value: FixedWidthInteger & Codable & Sendable>: Codable, Sendable, Equatable {
    var value: Value

    init(_ value: Value) { self.value = value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self), let value = Value(text, radix: 10) {
            self.value = value
        } else {
            self.value = try container.decode(Value.self)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

typealias WireInt64 = WireInteger<Int64>
typealias WireUInt64 = WireInteger<UInt64>

extension Optional where Wrapped == WireInt64 {
    /// The gateway leaves out fields that are zero.
    var orZero: Int64 { self?.value ?? 0 }
}
