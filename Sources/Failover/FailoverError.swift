/// An error of the failover library or of one of its providers, with a stable code and a one-line message.
public struct FailoverError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, machine-readable error code.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let unknownRegion = Code(rawValue: "unknown-region")
        public static let invalidArgument = Code(rawValue: "invalid-argument")
        public static let providerFailure = Code(rawValue: "provider-failure")
        public static let notSupported = Code(rawValue: "not-supported")
        public static let refused = Code(rawValue: "refused")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
