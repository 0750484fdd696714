import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An HTTP response from an AWS API.
public struct AWSHTTPResponse: Hashable, Sendable {
    /// The HTTP status code.
    public var statusCode: Int
    /// Header fields by lower-case name.
    public var headers: [String: String]
    /// The body bytes.
    public var body: Data

    /// A response from its parts; header names are stored in lower case.
    public init(statusCode: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.statusCode = statusCode
        self.headers = Dictionary(
            headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.body = body
    }
}

/// Sends a signed request and returns the response. The seam where tests capture what a client sends.
public protocol AWSHTTPTransport: Sendable {
    /// Sends `request`; throws only when there is no HTTP response at all.
    func send(_ request: AWSHTTPRequest, timeout: Duration) async throws -> AWSHTTPResponse
}

/// The real transport: AsyncHTTPClient's shared client.
public struct AsyncHTTPClientTransport: AWSHTTPTransport {
    let client: HTTPClient
    /// The largest response body read; AWS API responses are small.
    let maximumBodySize: Int

    /// A transport over `client` (by default `HTTPClient.shared`, which needs no shutdown).
    public init(client: HTTPClient = .shared, maximumBodySize: Int = 16 * 1024 * 1024) {
        self.client = client
        self.maximumBodySize = maximumBodySize
    }

    public func send(_ request: AWSHTTPRequest, timeout: Duration) async throws -> AWSHTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) {
            outgoing.headers.add(name: name, value: value)
        }
        if !request.body.isEmpty || request.method != "GET" {
            outgoing.body = .bytes(Array(request.body))
        }
        let response = try await client.execute(outgoing, timeout: .nanoseconds(timeout.nanoseconds))
        let body = try await response.body.collect(upTo: maximumBodySize)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return AWSHTTPResponse(
            statusCode: Int(response.status.code), headers: headers, body: Data(body.readableBytesView))
    }
}

extension Duration {
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
