import Foundation

/// An HTTP request to an AWS API: what the signer signs and the transport sends.
///
/// The path and query hold plain (not percent-encoded) text; `url` encodes them the way AWS expects.
public struct AWSHTTPRequest: Hashable, Sendable {
    /// `GET`, `POST`, …
    public var method: String
    /// `http` or `https`.
    public var scheme: String
    /// The host name, without the port.
    public var host: String
    /// The port, when it is not the scheme's default.
    public var port: Int?
    /// The path, not percent-encoded, starting with `/`.
    public var path: String
    /// Query parameters in the order they were added; the signer sorts them.
    public var query: [QueryParameter]
    /// Header fields by lower-case name.
    public var headers: [String: String]
    /// The body bytes.
    public var body: Data

    /// A request from its parts; header names are stored in lower case.
    public init(
        method: String, scheme: String = "https", host: String, port: Int? = nil, path: String = "/",
        query: [QueryParameter] = [], headers: [String: String] = [:], body: Data = Data()
    ) {
        self.method = method
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path.isEmpty ? "/" : path
        self.query = query
        self.headers = Dictionary(
            headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.body = body
    }

    /// The value of the `Host` header: the host, and the port unless it is the scheme's default.
    public var hostHeader: String {
        guard let port, !(scheme == "https" && port == 443), !(scheme == "http" && port == 80) else { return host }
        return "\(host):\(port)"
    }

    /// The path with every segment percent-encoded (RFC 3986 unreserved characters kept).
    public var encodedPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { AWSURIEncoding.encode($0) }
            .joined(separator: "/")
    }

    /// The query string, percent-encoded, in the order the parameters were added.
    public var encodedQuery: String {
        query.map { "\(AWSURIEncoding.encode($0.name))=\(AWSURIEncoding.encode($0.value))" }.joined(separator: "&")
    }

    /// The full URL as sent on the wire.
    public var url: String {
        "\(scheme)://\(hostHeader)\(encodedPath)\(query.isEmpty ? "" : "?" + encodedQuery)"
    }
}

/// One `name=value` query parameter.
public struct QueryParameter: Hashable, Sendable {
    /// The parameter's name, not percent-encoded.
    public var name: String
    /// The parameter's value, not percent-encoded.
    public var value: String

    /// A parameter from its name and value.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Percent-encoding as SigV4 defines it: every byte except `A-Z a-z 0-9 - _ . ~` becomes `%XX` (upper-case hex).
public enum AWSURIEncoding {
    /// Encodes `text`; a space becomes `%20`, never `+`.
    public static func encode(_ text: some StringProtocol, keepingSlash: Bool = false) -> String {
        var encoded = ""
        encoded.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepingSlash:
                encoded.append("/")
            default:
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }

    /// The `application/x-www-form-urlencoded` body of the query protocol, with SigV4's encoding.
    public static func formBody(_ parameters: [QueryParameter]) -> Data {
        Data(parameters.map { "\(encode($0.name))=\(encode($0.value))" }.joined(separator: "&").utf8)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
