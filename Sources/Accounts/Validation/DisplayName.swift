/// A customer's display name: 1 to 100 characters, no control characters.
public struct DisplayName: Hashable, Sendable, Codable, CustomStringConvertible {
    public let value: String

    public init(_ raw: String) throws(AccountsError) {
        let trimmed = raw.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw .invalid("displayName", "must not be empty") }
        guard trimmed.count <= 100 else { throw .invalid("displayName", "must be at most 100 characters") }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid("displayName", "must not contain control characters")
        }
        self.value = trimmed
    }

    public var description: String { value }
}
