/// The usual latency of one vantage point's probes of one region: the lowest of the last `capacity` answered
/// probes. A probe counts as slow (gray failure) when it takes `slowThreshold` longer than this baseline, so a
/// vantage point far away (a 260 ms round trip between eu-west-1 and ap-southeast-2) is not slow by distance.
public struct BaselineLatency: Hashable, Sendable {
    private var samples: [Double] = []
    private var next = 0
    public let capacity: Int

    public init(capacity: Int = 100) { self.capacity = capacity }

    /// Records an answered probe's latency.
    public mutating func record(_ milliseconds: Double) {
        if samples.count < capacity {
            samples.append(milliseconds)
        } else {
            samples[next] = milliseconds
            next = (next + 1) % capacity
        }
    }

    /// The baseline, or 0 before any sample.
    public var milliseconds: Double { samples.min() ?? 0 }
}
