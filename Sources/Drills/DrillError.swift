/// An error of the drills library, with a stable code and a one-line message that names what is wrong.
public struct DrillError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, machine-readable error code.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        /// A code from its text.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A setting or an objective has a bad value.
        public static let invalidArgument = Code(rawValue: "invalid-argument")
        /// A history or report file could not be read or written.
        public static let badFile = Code(rawValue: "bad-file")
        /// A scenario could not complete (the controller never reported what the drill waits for, say).
        public static let scenarioIncomplete = Code(rawValue: "scenario-incomplete")
    }

    public var code: Code
    public var message: String

    /// An error with its code and message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
