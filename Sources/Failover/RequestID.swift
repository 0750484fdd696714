import Synchronization

/// Request ids in the layout of a random (version 4) UUID, in lower case. `Foundation.UUID()` takes its
/// randomness from the system on every call (on this platform: /dev/urandom opened, read and closed), which a
/// request id, unique but not secret, does not need.
public enum RequestID {
    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let shared = Mutex(SplitMix64())

    /// A new id from `random`.
    public static func make(using random: inout some RandomNumberGenerator) -> String {
        var bytes = (random.next() as UInt64, random.next() as UInt64)
        return withUnsafeMutableBytes(of: &bytes) { raw in
            raw[6] = (raw[6] & 0x0F) | 0x40
            raw[8] = (raw[8] & 0x3F) | 0x80
            return String(unsafeUninitializedCapacity: 36) { text in
                var position = 0
                for (index, byte) in raw.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        text[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    text[position] = hexDigits[Int(byte >> 4)]
                    text[position + 1] = hexDigits[Int(byte & 0x0F)]
                    position += 2
                }
                return position
            }
        }
    }

    /// A new id from a process-wide generator seeded once, for callers without a generator of their own.
    public static func make() -> String { shared.withLock { make(using: &$0) } }
}
