/// A link as seen from outside: its nodes, conditions and traffic counters (`GET /links`).
public struct LinkState: Codable, Sendable, Equatable {
    /// One end (the smaller name of the two).
    public var a: String
    /// The other end.
    public var b: String
    /// The conditions in force.
    public var conditions: LinkConditions
    /// Bytes delivered across the link, both directions together, since it was created.
    public var bytesForwarded: Int
    /// Proxied connections currently open across the link.
    public var openConnections: Int

    /// Creates a link state.
    public init(a: String, b: String, conditions: LinkConditions, bytesForwarded: Int, openConnections: Int) {
        self.a = a
        self.b = b
        self.conditions = conditions
        self.bytesForwarded = bytesForwarded
        self.openConnections = openConnections
    }
}
