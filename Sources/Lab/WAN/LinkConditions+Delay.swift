/// How one chunk's delay is drawn from a link's conditions.
extension LinkConditions {
    /// The delay of one chunk: `latency ± jitter` (uniform, never below 0), plus `retransmissionDelay` with
    /// probability `loss`.
    func sampleDelay<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Duration {
        var delay = latency
        if jitter > .zero {
            let spread = jitter.inMilliseconds
            let offset = Double.random(in: -spread...spread, using: &generator)
            delay = max(.zero, latency + (Duration(milliseconds: offset) ?? .zero))
        }
        if loss > 0, Double.random(in: 0..<1, using: &generator) < loss {
            delay += Self.retransmissionDelay
        }
        return delay
    }

    /// The delay of one chunk, drawn with the system's random number generator.
    func sampleDelay() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return sampleDelay(using: &generator)
    }
}
