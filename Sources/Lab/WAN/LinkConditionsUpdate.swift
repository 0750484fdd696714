/// A partial change of a link's conditions: only the fields that are set change (the body of `PUT /links/{a}/{b}`).
public struct LinkConditionsUpdate: Codable, Sendable, Equatable {
    /// New one-way latency in milliseconds.
    public var latencyMs: Double?
    /// New jitter in milliseconds.
    public var jitterMs: Double?
    /// New loss probability, 0...1.
    public var loss: Double?
    /// Cut or heal the link.
    public var partitioned: Bool?

    /// Creates an update; `nil` fields leave the current value.
    public init(latencyMs: Double? = nil, jitterMs: Double? = nil, loss: Double? = nil, partitioned: Bool? = nil) {
        self.latencyMs = latencyMs
        self.jitterMs = jitterMs
        self.loss = loss
        self.partitioned = partitioned
    }

    /// The conditions after applying this update to `current`; throws `WANError.invalidConditions` if a given
    /// value is out of range (not a number, negative, a loss outside 0...1).
    public func applied(to current: LinkConditions) throws(WANError) -> LinkConditions {
        var result = current
        if let latencyMs { result.latency = try Self.duration(latencyMs, "latencyMs") }
        if let jitterMs { result.jitter = try Self.duration(jitterMs, "jitterMs") }
        if let loss { result.loss = loss }
        if let partitioned { result.partitioned = partitioned }
        try result.validate()
        return result
    }

    private static func duration(_ milliseconds: Double, _ name: String) throws(WANError) -> Duration {
        guard let duration = Duration(milliseconds: milliseconds) else {
            throw WANError(.invalidConditions, "\(name) must be a number of milliseconds between 0 and 60000")
        }
        return duration
    }
}
