import Foundation

/// A failure to set up, run or talk to a local PostgreSQL cluster; `description` is one line naming the cause.
public struct PostgresClusterError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is, for callers that react to some of them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case binariesNotFound
            case systemUserNotFound
            case dataDirectoryUnusable
            case initdbFailed
            case startFailed
            case stopTimeout
            case commandFailed
            case baseBackupFailed
            case alreadyRunning
            case notRunning
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// No folder with `initdb` and `postgres` was found (the message lists what was searched).
        public static let binariesNotFound = Code(.binariesNotFound)
        /// Running as root, but the unprivileged system user to run PostgreSQL as does not exist.
        public static let systemUserNotFound = Code(.systemUserNotFound)
        /// The data directory cannot be created, owned or reached by the server's user, or is not empty.
        public static let dataDirectoryUnusable = Code(.dataDirectoryUnusable)
        /// `initdb` failed (the message carries its output).
        public static let initdbFailed = Code(.initdbFailed)
        /// The server exited or did not become ready in time (the message carries the end of its log).
        public static let startFailed = Code(.startFailed)
        /// The server did not go away, even after `SIGKILL`.
        public static let stopTimeout = Code(.stopTimeout)
        /// A client program (`psql`, `pg_config`, …) failed (the message carries its error output).
        public static let commandFailed = Code(.commandFailed)
        /// `pg_basebackup` failed (the message carries its error output).
        public static let baseBackupFailed = Code(.baseBackupFailed)
        /// `start()` was called on a cluster that is already running.
        public static let alreadyRunning = Code(.alreadyRunning)
        /// The operation needs a running server, and this cluster has none.
        public static let notRunning = Code(.notRunning)

        /// The code's name, such as `startFailed`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// One line: what failed and why.
    public var message: String

    /// An error with a code and a one-line message (line breaks in `message` are folded into ` | `).
    public init(code: Code, message: String) {
        self.code = code
        self.message = Self.oneLine(message)
    }

    /// `code: message`, on one line.
    public var description: String { "\(code): \(message)" }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " | ")
    }
}
