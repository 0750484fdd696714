/// An int64 as the v3 JSON gateway writes it: a decimal string (proto3's JSON mapping), read also from a number.
struct WireInt64: Codable, Sendable, Equatable {
    var value: Int64

    init(_ value: Int64) { self.value = value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self), let value = Int64(text) {
            self.value = value
        } else {
            self.value = try container.decode(Int64.self)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

extension Optional where Wrapped == WireInt64 {
    /// The gateway leaves out fields that are zero.
    var orZero: Int64 { self?.value ?? 0 }
}
