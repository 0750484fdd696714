/// The body of `PUT /routes/{name}`: where the route's new connections go.
public struct RetargetRequest: Codable, Sendable, Equatable {
    /// The node the new target is in (the link crossed changes with it).
    public var to: String
    /// The new target port.
    public var targetPort: Int
    /// The new target host; 127.0.0.1 if not given.
    public var targetHost: String?

    /// Creates a retarget request.
    public init(to: String, targetPort: Int, targetHost: String? = nil) {
        self.to = to
        self.targetPort = targetPort
        self.targetHost = targetHost
    }
}
