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
    /// For a route shared by clients in several nodes (an etcd member's peer port: every other member dials the one
    /// URL it advertises): the node of each sender, by the peer URL that etcd's raft transport names in the
    /// `X-PeerURLs` header of a connection's first request. Such a connection crosses the link between that node
    /// and `to`; one without a known URL (etcd's `/version` and `/raft/probing` checks) crosses `from`'s link.
    public var sourceByPeerURL: [String: String]?

    /// Creates a route description.
    public init(
        name: String, from: String, to: String, listenPort: Int, targetHost: String, targetPort: Int,
        sourceByPeerURL: [String: String]? = nil
    ) {
        self.name = name
        self.from = from
        self.to = to
        self.listenPort = listenPort
        self.targetHost = targetHost
        self.targetPort = targetPort
        self.sourceByPeerURL = sourceByPeerURL
    }
}
