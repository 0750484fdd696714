import Failover

/// A random number generator seeded from a client's address, so that the same client gets the same routing
/// choices for as long as dials, weights and health stay the same (SplitMix64 over an FNV-1a hash).
struct AffinityGenerator: RandomNumberGenerator {
    private var generator: SplitMix64

    /// A generator seeded with the bytes of `address`; stable across processes, unlike `Hasher`.
    init(address: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in address.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        generator = SplitMix64(seed: hash)
    }

    mutating func next() -> UInt64 { generator.next() }
}
