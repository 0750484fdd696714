import Foundation

/// Conditions of one undirected link between two nodes (a node is a region name like "us-east-1", or "outside").
///
/// Latency and jitter apply to each direction separately, so a round trip across a link with 38 ms latency
/// takes at least 76 ms. JSON: `{"latencyMs": 38.0, "jitterMs": 2.0, "loss": 0.0, "partitioned": false}`.
public struct LinkConditions: Codable, Sendable, Equatable {
    /// One-way delay added to every chunk, in each direction.
    public var latency: Duration
    /// A chunk's delay is drawn uniformly from `latency ± jitter` (never below 0); byte order is preserved anyway.
    public var jitter: Duration
    /// Probability (0...1) that a forwarded chunk waits an extra 200 ms. TCP cannot lose bytes, so loss shows
    /// the way it does to a TCP application: as a retransmission delay that holds back everything behind it.
    public var loss: Double
    /// The link is cut: nothing is delivered in either direction until it heals.
    public var partitioned: Bool

    /// The extra delay a "lost" chunk waits, as a TCP retransmission timeout would make it.
    public static let retransmissionDelay: Duration = .milliseconds(200)

    /// No delay, no loss, not partitioned: a plain pass-through.
    public static let none = LinkConditions(latency: .zero, jitter: .zero, loss: 0, partitioned: false)

    /// Creates conditions; see the properties for their meaning.
    public init(latency: Duration, jitter: Duration = .zero, loss: Double = 0, partitioned: Bool = false) {
        self.latency = latency
        self.jitter = jitter
        self.loss = loss
        self.partitioned = partitioned
    }

    /// Throws `WANError.invalidConditions` for a negative latency or jitter, a loss outside 0...1, or a delay
    /// longer than a minute (which no real link has, and which would only hide a unit mistake).
    public func validate() throws(WANError) {
        let limit = Duration.seconds(60)
        guard latency >= .zero, latency <= limit else {
            throw WANError(
                .invalidConditions, "latency must be between 0 and 60000 ms, got \(latency.inMilliseconds) ms")
        }
        guard jitter >= .zero, jitter <= limit else {
            throw WANError(.invalidConditions, "jitter must be between 0 and 60000 ms, got \(jitter.inMilliseconds) ms")
        }
        guard loss.isFinite, (0...1).contains(loss) else {
            throw WANError(.invalidConditions, "loss must be a probability between 0 and 1, got \(loss)")
        }
    }

    /// The same conditions with every value brought into its valid range.
    func clamped() -> LinkConditions {
        var result = self
        result.latency = min(max(latency, .zero), .seconds(60))
        result.jitter = min(max(jitter, .zero), .seconds(60))
        result.loss = loss.isFinite ? min(max(loss, 0), 1) : 0
        return result
    }

    private enum CodingKeys: String, CodingKey {
        case latencyMs, jitterMs, loss, partitioned
    }

    /// Decodes the JSON form; missing fields take the values of `LinkConditions.none`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.latency = try Self.decodeMilliseconds(container, .latencyMs)
        self.jitter = try Self.decodeMilliseconds(container, .jitterMs)
        self.loss = try container.decodeIfPresent(Double.self, forKey: .loss) ?? 0
        self.partitioned = try container.decodeIfPresent(Bool.self, forKey: .partitioned) ?? false
    }

    private static func decodeMilliseconds(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws
        -> Duration
    {
        let value = try container.decodeIfPresent(Double.self, forKey: key) ?? 0
        guard let duration = Duration(milliseconds: value) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "\(key.stringValue) is out of range: \(value)")
        }
        return duration
    }

    /// Encodes the JSON form, with durations in (fractional) milliseconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(latency.inMilliseconds, forKey: .latencyMs)
        try container.encode(jitter.inMilliseconds, forKey: .jitterMs)
        try container.encode(loss, forKey: .loss)
        try container.encode(partitioned, forKey: .partitioned)
    }
}

extension LinkConditions: CustomStringConvertible {
    /// One line for people, e.g. `38 ms ± 1.9 ms, loss 0.01, partitioned`.
    public var description: String {
        let format = { (duration: Duration) in
            duration.inMilliseconds.formatted(.number.precision(.fractionLength(0...3)))
        }
        var text = "\(format(latency)) ms ± \(format(jitter)) ms, loss \(loss)"
        if partitioned { text += ", partitioned" }
        return text
    }
}

extension Duration {
    /// A duration from (fractional) milliseconds, or `nil` for a value that is not finite or is beyond a day
    /// either way, so that an absurd number in a request cannot trap the conversion.
    init?(milliseconds: Double) {
        guard milliseconds.isFinite, abs(milliseconds) <= 86_400_000 else { return nil }
        self = .nanoseconds(Int64((milliseconds * 1_000_000).rounded()))
    }

    /// The duration in milliseconds, with fractions.
    var inMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
