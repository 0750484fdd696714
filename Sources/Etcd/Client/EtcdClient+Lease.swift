/// A lease: keys attached to it are deleted when it expires or is revoked.
public struct EtcdLease: Sendable, Equatable {
    public var id: Int64
    /// The time to live etcd granted (or, after a keep-alive, restarted), in seconds.
    public var ttl: Int64

    public init(id: Int64, ttl: Int64) {
        self.id = id
        self.ttl = ttl
    }
}

extension EtcdClient {
    /// Grants a lease of `ttl` seconds.
    public func grantLease(ttl: Int64) async throws(EtcdError) -> EtcdLease {
        guard ttl > 0 else { throw EtcdError(.invalidArgument, "a lease TTL must be positive, not \(ttl)") }
        struct Grant: Decodable {
            var ID: WireInt64?
            var TTL: WireInt64?
            var error: String?
        }
        let answer = try await call("/v3/lease/grant", ["TTL": String(ttl)], as: Grant.self)
        if let error = answer.error, !error.isEmpty { throw EtcdError(.rejected, error) }
        guard let id = answer.ID?.value, id != 0 else {
            throw EtcdError(.invalidResponse, "a lease grant without an ID")
        }
        return EtcdLease(id: id, ttl: answer.TTL.orZero)
    }

    /// Restarts the lease's time to live once (the gateway's keep-alive stream, one message); the new TTL.
    /// Throws `leaseNotFound` when the lease has already expired.
    @discardableResult
    public func keepAlive(_ lease: Int64) async throws(EtcdError) -> EtcdLease {
        struct KeepAlive: Decodable {
            struct Result: Decodable {
                var ID: WireInt64?
                var TTL: WireInt64?
            }
            var result: Result?
        }
        let answer = try await call("/v3/lease/keepalive", ["ID": String(lease)], as: KeepAlive.self)
        guard let result = answer.result else { throw EtcdError(.invalidResponse, "a keep-alive without a result") }
        // An expired lease is answered with its ID and no TTL.
        guard result.TTL.orZero > 0 else { throw EtcdError(.leaseNotFound, "lease \(lease) has expired") }
        return EtcdLease(id: lease, ttl: result.TTL.orZero)
    }

    /// Ends the lease now, deleting every key attached to it.
    public func revoke(_ lease: Int64) async throws(EtcdError) {
        struct Revoked: Decodable { var header: EtcdResponseHeader.Wire? }
        _ = try await call("/v3/lease/revoke", ["ID": String(lease)], as: Revoked.self)
    }
}
