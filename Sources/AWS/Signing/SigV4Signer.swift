import Crypto
import Foundation

/// Signs requests with AWS Signature Version 4 (`AWS4-HMAC-SHA256`). A value with no I/O: the time is an argument.
///
/// Follows botocore's `SigV4Auth` for non-S3 services: every header present is signed, the path is URI-encoded
/// twice (once for the URL, once for the canonical request), and the query is sorted by encoded name and value.
public struct SigV4Signer: Sendable {
    /// The credentials that sign.
    public var credentials: AWSCredentials
    /// The signing region, such as `us-east-1`.
    public var region: String
    /// The signing name of the service, such as `rds` or `globalaccelerator`.
    public var service: String

    /// A signer for one service in one region.
    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The request with `Host`, `X-Amz-Date`, `X-Amz-Security-Token` (temporary credentials) and `Authorization`.
    public func signed(_ request: AWSHTTPRequest, at date: Date) -> AWSHTTPRequest {
        var request = request
        let timestamp = AWSTimestamp(date)
        request.headers["authorization"] = nil
        request.headers["host"] = request.headers["host"] ?? request.hostHeader
        request.headers["x-amz-date"] = timestamp.dateTime
        if let token = credentials.sessionToken { request.headers["x-amz-security-token"] = token }
        request.headers["authorization"] = authorization(for: request, timestamp: timestamp)
        return request
    }

    /// The `Authorization` header value for a request whose headers are already complete.
    func authorization(for request: AWSHTTPRequest, timestamp: AWSTimestamp) -> String {
        let scope = "\(timestamp.date)/\(region)/\(service)/aws4_request"
        let canonical = Self.canonicalRequest(request)
        let stringToSign = [
            "AWS4-HMAC-SHA256", timestamp.dateTime, scope, Self.hex(SHA256.hash(data: Data(canonical.request.utf8))),
        ].joined(separator: "\n")
        let signature = Self.hex(
            HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey(timestamp)))
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
    }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    func signingKey(_ timestamp: AWSTimestamp) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [timestamp.date, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// The canonical request and its signed-header list.
    static func canonicalRequest(_ request: AWSHTTPRequest) -> (request: String, signedHeaders: String) {
        let encodedQuery: [(name: String, value: String)] = request.query.map { parameter in
            (AWSURIEncoding.encode(parameter.name), AWSURIEncoding.encode(parameter.value))
        }
        let sortedQuery = encodedQuery.sorted { left, right in
            left.name == right.name ? left.value < right.value : left.name < right.name
        }
        let query = sortedQuery.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        let headers: [(name: String, value: String)] = request.headers
            .filter { !unsignedHeaders.contains($0.key) }
            .map { ($0.key, collapsingWhitespace($0.value)) }
            .sorted { $0.name < $1.name }
        let signedHeaders = headers.map(\.name).joined(separator: ";")
        let lines = [
            request.method.uppercased(),
            AWSURIEncoding.encode(request.encodedPath, keepingSlash: true),
            query,
            headers.map { "\($0.name):\($0.value)\n" }.joined(),
            signedHeaders,
            hex(SHA256.hash(data: request.body)),
        ]
        return (lines.joined(separator: "\n"), signedHeaders)
    }

    /// Headers that proxies rewrite, so botocore never signs them.
    static let unsignedHeaders: Set<String> = ["authorization", "user-agent", "expect", "x-amzn-trace-id"]

    static func collapsingWhitespace(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
    }
}

/// The two renderings of the signing time: `20150830T123600Z` and `20150830`, always UTC.
struct AWSTimestamp: Sendable {
    let dateTime: String
    var date: String { String(dateTime.prefix(8)) }

    init(_ instant: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: instant)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        dateTime =
            String(format: "%04d", parts.year ?? 1970) + two(parts.month) + two(parts.day) + "T" + two(parts.hour)
            + two(parts.minute) + two(parts.second) + "Z"
    }
}
