import Foundation

/// A key and its value as stored in etcd, with the revisions that make it a fencing token.
public struct EtcdKeyValue: Sendable, Equatable {
    public var key: String
    public var value: Data
    /// The revision that created the key (stays until the key is deleted).
    public var createRevision: Int64
    /// The revision of the last change.
    public var modRevision: Int64
    /// How many times the key was written since it was created.
    public var version: Int64
    /// The lease the key is attached to; 0 for none.
    public var lease: Int64

    /// The value as UTF-8 text.
    public var text: String { String(decoding: value, as: UTF8.self) }
}

extension EtcdKeyValue {
    struct Wire: Decodable {
        var key: String?
        var value: String?
        var create_revision: WireInt64?
        var mod_revision: WireInt64?
        var version: WireInt64?
        var lease: WireInt64?
    }

    init(_ wire: Wire) throws(EtcdError) {
        guard let key = wire.key.flatMap({ Data(base64Encoded: $0) }) else {
            throw EtcdError(.invalidResponse, "a key-value without a base64 key")
        }
        guard let value = Data(base64Encoded: wire.value ?? "") else {
            throw EtcdError(.invalidResponse, "a key-value whose value is not base64")
        }
        self.init(
            key: String(decoding: key, as: UTF8.self), value: value, createRevision: wire.create_revision.orZero,
            modRevision: wire.mod_revision.orZero, version: wire.version.orZero, lease: wire.lease.orZero)
    }
}

/// The keys a range read found, and the header saying at which revision.
public struct EtcdRange: Sendable, Equatable {
    public var header: EtcdResponseHeader
    public var keyValues: [EtcdKeyValue]
    /// How many keys are in the range (more than `keyValues` when a limit cut it).
    public var count: Int64
}

extension EtcdRange {
    struct Wire: Decodable {
        var header: EtcdResponseHeader.Wire?
        var kvs: [EtcdKeyValue.Wire]?
        var count: WireInt64?
    }

    init(_ wire: Wire) throws(EtcdError) {
        var keyValues: [EtcdKeyValue] = []
        for keyValue in wire.kvs ?? [] { keyValues.append(try EtcdKeyValue(keyValue)) }
        self.init(header: EtcdResponseHeader(wire.header), keyValues: keyValues, count: wire.count.orZero)
    }
}
