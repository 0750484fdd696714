import Foundation

/// Which keys a read or a delete covers: one key, or every key under a prefix.
public enum EtcdKeyRange: Sendable, Equatable {
    case key(String)
    case prefix(String)
    /// Every key under `prefix` from `start` on (keys sort as bytes).
    case prefixFrom(String, start: String)

    /// The `key` and `range_end` of the gateway's request, base64.
    var wire: (key: String, rangeEnd: String?) {
        switch self {
        case .key(let key):
            return (Data(key.utf8).base64EncodedString(), nil)
        case .prefix(let prefix):
            return (Data(prefix.utf8).base64EncodedString(), Self.prefixEnd(prefix).base64EncodedString())
        case .prefixFrom(let prefix, let start):
            return (Data(start.utf8).base64EncodedString(), Self.prefixEnd(prefix).base64EncodedString())
        }
    }

    /// The first key after every key that starts with `prefix` (etcd's `GetPrefixRangeEnd`): the prefix with its
    /// last byte below 0xff incremented and what follows it dropped; "\0" (every key) when there is none.
    static func prefixEnd(_ prefix: String) -> Data {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return Data(bytes)
            }
            bytes.removeLast()
        }
        return Data([0])
    }

    var isEmpty: Bool {
        switch self {
        case .key(let key): key.isEmpty
        case .prefix: false
        case .prefixFrom(_, let start): start.isEmpty
        }
    }
}
