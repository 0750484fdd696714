import Foundation

extension EtcdClient {
    /// The keys in `range` (a linearizable read: it goes through the raft leader).
    public func range(_ range: EtcdKeyRange) async throws(EtcdError) -> EtcdRange {
        try Self.check(range)
        let request = EtcdOperation.rangeFields(range)
        return try EtcdRange(try await call("/v3/kv/range", request, as: EtcdRange.Wire.self))
    }

    /// The value at `key`, or nil when there is none.
    public func get(_ key: String) async throws(EtcdError) -> EtcdKeyValue? {
        try await range(.key(key)).keyValues.first
    }

    /// Writes `value` at `key`, attached to `lease` (0: none); the header of the write.
    @discardableResult
    public func put(_ key: String, _ value: Data, lease: Int64 = 0) async throws(EtcdError) -> EtcdResponseHeader {
        try Self.check(.key(key))
        let request = EtcdOperation.putFields(key: key, value: value, lease: lease)
        return EtcdResponseHeader(try await call("/v3/kv/put", request, as: HeaderOnly.self).header)
    }

    /// Writes UTF-8 text at `key`.
    @discardableResult
    public func put(_ key: String, _ text: String, lease: Int64 = 0) async throws(EtcdError) -> EtcdResponseHeader {
        try await put(key, Data(text.utf8), lease: lease)
    }

    /// Deletes the keys in `range`; how many there were.
    @discardableResult
    public func delete(_ range: EtcdKeyRange) async throws(EtcdError) -> Int64 {
        try Self.check(range)
        struct Deleted: Decodable { var deleted: WireInt64? }
        return try await call("/v3/kv/deleterange", EtcdOperation.rangeFields(range), as: Deleted.self).deleted.orZero
    }

    /// Runs `transaction` atomically: its success operations when every comparison holds, else its failure ones.
    public func txn(_ transaction: EtcdTransaction) async throws(EtcdError) -> EtcdTransactionResult {
        for operation in transaction.success + transaction.failure { try Self.check(operation.keyRange) }
        for compare in transaction.compare where compare.key.isEmpty {
            throw EtcdError(.invalidArgument, "a comparison needs a key")
        }
        return try EtcdTransactionResult(
            try await call("/v3/kv/txn", transaction.wire, as: EtcdTransactionResult.Wire.self))
    }

    struct HeaderOnly: Decodable { var header: EtcdResponseHeader.Wire? }

    static func check(_ range: EtcdKeyRange) throws(EtcdError) {
        if range.isEmpty { throw EtcdError(.invalidArgument, "an empty key") }
    }
}
