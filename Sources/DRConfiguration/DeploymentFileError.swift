/// What is wrong with a deployment file: a stable code, the key path (`contacts[1].phone`), the file and the line,
/// and a one-line message that says what to write instead.
public struct DeploymentFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, machine-readable error code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The file cannot be read or is not UTF-8.
        public static let unreadable = Code(rawValue: "unreadable")
        /// The text is not YAML (or holds more than one document).
        public static let invalidYAML = Code(rawValue: "invalid-yaml")
        /// A key that the deployment file does not have.
        public static let unknownKey = Code(rawValue: "unknown-key")
        /// A required key is absent.
        public static let missingKey = Code(rawValue: "missing-key")
        /// A mapping where a list or a value belongs, or the other way round.
        public static let wrongType = Code(rawValue: "wrong-type")
        /// A value of the right shape that is not allowed here.
        public static let invalidValue = Code(rawValue: "invalid-value")
    }

    public var code: Code
    public var message: String
    /// Where in the document: keys joined by `.`, list items as `[index]` counted from 0; empty for the whole file.
    public var keyPath: String
    /// The file's path, or a name for text that came from elsewhere.
    public var source: String
    /// The line, counted from 1, when known.
    public var line: Int?
    /// The column, counted from 1, when known.
    public var column: Int?

    public init(
        _ code: Code, _ message: String, keyPath: String, source: String = "", line: Int? = nil, column: Int? = nil
    ) {
        self.code = code
        self.message = message
        self.keyPath = keyPath
        self.source = source
        self.line = line
        self.column = column
    }

    /// `FILE:LINE:COLUMN: KEY.PATH: message`, the shape compilers use, so editors can jump to it.
    public var description: String {
        var location = source.isEmpty ? "deployment file" : source
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return keyPath.isEmpty ? "\(location): \(message)" : "\(location): \(keyPath): \(message)"
    }
}
