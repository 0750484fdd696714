import Foundation
import HTTPTypes
import Hummingbird

/// An RFC 9457 problem document answered by the edge itself (proxy failures and admin API errors).
public struct EdgeProblem: Codable, Sendable, Equatable, Error {
    /// A stable identifier, `/problems/<code>`.
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var requestId: String?
    /// The region concerned, when there is one.
    public var region: String?

    /// A problem with a stable code.
    public init(
        status: HTTPResponse.Status, code: String, detail: String, requestID: String? = nil,
        region: String? = nil
    ) {
        self.type = "/problems/\(code)"
        self.title = status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.requestId = requestID
        self.region = region
    }

    /// The stable code, the last part of `type`.
    public var code: String { String(type.split(separator: "/").last ?? "") }

    /// The document as JSON with sorted keys.
    func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return allocator.buffer(bytes: (try? encoder.encode(self)) ?? Data("{}".utf8))
    }

    /// The response, `application/problem+json`, with extra headers.
    func response(headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/problem+json"
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers, body: .init(byteBuffer: encoded()))
    }
}
