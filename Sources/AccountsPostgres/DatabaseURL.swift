import Foundation
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=…` URL, turned into a client configuration.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var requireTLS: Bool

    /// Parses the URL; the error names what is wrong without echoing the password.
    public init(_ text: String) throws(StorageError) {
        guard let components = URLComponents(string: text),
            components.scheme == "postgres" || components.scheme == "postgresql"
        else { throw StorageError(.invalidConfiguration, "database URL must start with postgres://") }
        guard let host = components.host, !host.isEmpty else {
            throw StorageError(.invalidConfiguration, "database URL has no host")
        }
        self.host = host
        self.port = components.port ?? 5432
        guard (1...65535).contains(port) else {
            throw StorageError(.invalidConfiguration, "database URL port is out of range")
        }
        self.username = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        self.password = components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? username : path
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        switch sslmode {
        case "disable": requireTLS = false
        case "require", "verify-full": requireTLS = true
        default:
            throw StorageError(.invalidConfiguration, "database URL sslmode must be disable, require or verify-full")
        }
    }

    /// The client configuration, with the pool size.
    public func clientConfiguration(maximumConnections: Int = 20) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: requireTLS ? .require(.makeClientConfiguration()) : .disable)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(3)
        return configuration
    }

    /// The URL with the password masked, safe for logs.
    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }
}

/// An error of the storage layer, with a stable code.
public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidConfiguration = "invalid-configuration"
        case unavailable
        case readOnly = "read-only"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
