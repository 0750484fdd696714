/// An error of the edge library, with a stable code and a one-line message that names what is wrong.
public struct EdgeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, machine-readable error code.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        /// A code from its text.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A configuration key has a bad value.
        public static let invalidConfiguration = Code(rawValue: "invalid-configuration")
        /// The admin API refused a request (bad region, bad value, wrong token).
        public static let adminRequestRefused = Code(rawValue: "admin-request-refused")
        /// The admin API could not be reached or answered something unreadable.
        public static let adminUnavailable = Code(rawValue: "admin-unavailable")
    }

    public var code: Code
    public var message: String
    /// The HTTP status of a refused admin request.
    public var status: Int?

    /// An error with its code and message.
    public init(_ code: Code, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String { message }

    static func invalid(_ key: String, _ problem: String) -> EdgeError {
        EdgeError(.invalidConfiguration, "\(key): \(problem)")
    }
}
