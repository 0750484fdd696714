/// A random number generator seeded from a client's address, so that the same client gets the same routing
/// choices for as long as dials, weights and health stay the same (SplitMix64 over an FNV-1a hash).
struct AffinityGenerator: RandomNumberGenerator {
    private var state: UInt64

    /// A generator seeded with the bytes of `address`; stable across processes, unlike `Hasher`.
    init(address: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in address.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        state = hash
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
