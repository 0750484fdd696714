/// An e-mail address as entered (trimmed) together with the form used for uniqueness (lower-cased).
public struct EmailAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The address as the customer typed it, without surrounding white space.
    public let value: String
    /// The case-insensitive form that must be unique.
    public var normalized: String { value.lowercased() }

    /// Validates the syntax loosely (one `@`, a dotted domain, no spaces or control characters, at most 254
    /// characters): deliverability is proven by the verification e-mail, not by a regular expression.
    public init(_ raw: String) throws(AccountsError) {
        let trimmed = raw.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw .invalid("email", "must not be empty") }
        guard trimmed.utf8.count <= 254 else { throw .invalid("email", "must be at most 254 characters") }
        guard
            !trimmed.unicodeScalars.contains(where: {
                $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F
            })
        else { throw .invalid("email", "must not contain spaces or control characters") }
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64 else {
            throw .invalid("email", "must look like name@example.com")
        }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 }) else {
            throw .invalid("email", "must look like name@example.com")
        }
        self.value = trimmed
    }

    public var description: String { value }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

extension String {
    /// Whether the text holds a control character (NUL included, which PostgreSQL refuses in text).
    public var containsControlCharacters: Bool { unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }

    /// The string without leading and trailing Unicode white space.
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
