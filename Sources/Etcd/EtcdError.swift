/// What went wrong talking to etcd, with a code to switch on.
public struct EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// No endpoint answered (connection refused, timeout, a member without quorum that cannot answer).
        case unavailable
        /// The lease does not exist (expired or revoked).
        case leaseNotFound
        /// etcd answered with a gRPC error (see `grpcCode`).
        case rejected
        /// The answer was not what the v3 gateway sends.
        case invalidResponse
        /// A request this client refuses to send (an empty key, a non-positive TTL, no endpoints).
        case invalidArgument
    }

    public var code: Code
    public var message: String
    /// The gRPC status code etcd gave (5 = not found, 9 = failed precondition, 14 = unavailable …), when it gave one.
    public var grpcCode: Int?

    public init(_ code: Code, _ message: String, grpcCode: Int? = nil) {
        self.code = code
        self.message = message
        self.grpcCode = grpcCode
    }

    public var description: String { "etcd \(code.rawValue): \(message)" }
}
