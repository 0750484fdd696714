/// An error of the WAN emulator or its admin API: a stable code and a one-line message that says what is wrong.
public struct WANError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of error; the admin API sends it as the problem type (`/problems/<code>`).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code as text, e.g. `unknown-route`.
        public var rawValue: String
        /// Wraps a code's text.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code as text.
        public var description: String { rawValue }

        /// A node name that is not a lower-case region-like name (`us-east-1`, `outside`).
        public static let invalidNodeName = Code(rawValue: "invalid-node-name")
        /// A node that no route or link mentions.
        public static let unknownNode = Code(rawValue: "unknown-node")
        /// Latency, jitter or loss out of range.
        public static let invalidConditions = Code(rawValue: "invalid-conditions")
        /// No route with this name.
        public static let unknownRoute = Code(rawValue: "unknown-route")
        /// A route with this name exists already.
        public static let duplicateRoute = Code(rawValue: "duplicate-route")
        /// A route name that is empty, too long, or has spaces, control characters or '/'.
        public static let invalidRouteName = Code(rawValue: "invalid-route-name")
        /// A port or host that cannot be used.
        public static let invalidAddress = Code(rawValue: "invalid-address")
        /// The listener could not be opened (port in use, ...).
        public static let listenFailed = Code(rawValue: "listen-failed")
        /// The request body is not the JSON the endpoint expects.
        public static let malformedRequest = Code(rawValue: "malformed-request")
        /// No such endpoint.
        public static let notFound = Code(rawValue: "not-found")
        /// The emulator has been shut down.
        public static let shutDown = Code(rawValue: "shut-down")
        /// The admin API could not be reached.
        public static let adminUnreachable = Code(rawValue: "admin-unreachable")
        /// The admin API answered something the client does not understand.
        public static let unexpectedResponse = Code(rawValue: "unexpected-response")
    }

    /// What kind of error.
    public var code: Code
    /// One line for a person: what is wrong and, where it helps, what to do.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
