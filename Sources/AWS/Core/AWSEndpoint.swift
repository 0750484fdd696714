import Foundation

/// Where a service's API is reached: the real AWS endpoint, or an override such as a local emulator.
public struct AWSEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// `https` or `http`.
    public var scheme: String
    /// The host name or address.
    public var host: String
    /// The port, when not the scheme's default.
    public var port: Int?

    /// An endpoint from its parts.
    public init(scheme: String = "https", host: String, port: Int? = nil) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Parses an endpoint URL such as `http://127.0.0.1:5000`; throws naming the bad value.
    public init(url text: String) throws(AWSError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
            components.path.isEmpty || components.path == "/", components.query == nil
        else {
            throw AWSError(
                .invalidConfiguration, "endpoint URL '\(text)' is not of the form http(s)://host[:port]")
        }
        self.init(scheme: scheme, host: host, port: components.port)
    }

    /// The public AWS endpoint of a service in a region (`rds.eu-west-1.amazonaws.com`).
    public static func aws(_ prefix: String, region: String) -> AWSEndpoint {
        AWSEndpoint(host: "\(prefix).\(region).amazonaws.com")
    }

    public var description: String { "\(scheme)://\(host)\(port.map { ":\($0)" } ?? "")" }
}
