/// An error from an AWS API call or from this library's handling of it, with the AWS error code.
///
/// `code` is the code AWS returned (`ResourceNotFoundException`, `GlobalClusterNotFoundFault`, …) or one of the
/// local codes below; `message` is AWS's message, or ours.
public struct AWSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// An AWS error code, open-ended because every service defines its own.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// No credentials in the environment or the shared files.
        public static let missingCredentials = Code(rawValue: "MissingCredentials")
        /// A configuration value (endpoint URL, region, profile) is unusable.
        public static let invalidConfiguration = Code(rawValue: "InvalidConfiguration")
        /// The request never got an HTTP response (connection refused, timeout).
        public static let transportFailure = Code(rawValue: "TransportFailure")
        /// The response could not be read (bad XML or JSON, a missing field).
        public static let invalidResponse = Code(rawValue: "InvalidResponse")
        /// An error response without a recognisable code.
        public static let unknown = Code(rawValue: "Unknown")
    }

    /// The AWS error code, or a local one.
    public var code: Code
    /// The human-readable message.
    public var message: String
    /// The HTTP status of the error response, when there was one.
    public var statusCode: Int?
    /// The operation that failed, such as `rds:FailoverGlobalCluster`.
    public var operation: String?
    /// AWS's request ID, to quote to AWS support.
    public var requestID: String?

    /// An error from its parts.
    public init(
        _ code: Code, _ message: String, statusCode: Int? = nil, operation: String? = nil, requestID: String? = nil
    ) {
        self.code = code
        self.message = message
        self.statusCode = statusCode
        self.operation = operation
        self.requestID = requestID
    }

    /// One line: `rds:FailoverGlobalCluster failed: InvalidGlobalClusterStateFault: … (HTTP 400)`.
    public var description: String {
        let status = statusCode.map { " (HTTP \($0))" } ?? ""
        return "\(operation.map { "\($0) failed: " } ?? "")\(code): \(message)\(status)"
    }
}
