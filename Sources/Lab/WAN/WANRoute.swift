/// A route: a listening port on 127.0.0.1 that forwards every accepted connection to a target (host, port),
/// crossing the link between `from` and `to` (the conditions of that link apply to both directions).
public struct WANRoute: Codable, Sendable, Equatable {
    /// Unique name, e.g. `eu-west-1-replication`.
    public var name: String
    /// The node the clients of this route are in.
    public var from: String
    /// The node the target is in.
    public var to: String
    /// The port the route listens on (127.0.0.1).
    public var listenPort: Int
    /// Where accepted connections go.
    public var targetHost: String
    /// Where accepted connections go.
    public var targetPort: Int

    /// Creates a route description.
    public init(name: String, from: String, to: String, listenPort: Int, targetHost: String, targetPort: Int) {
        self.name = name
        self.from = from
        self.to = to
        self.listenPort = listenPort
        self.targetHost = targetHost
        self.targetPort = targetPort
    }
}
