import AsyncHTTPClient
import Hummingbird
import Synchronization

/// The request body as the proxy forwards it: none, buffered (small bodies of known length, so a retry can
/// resend them), or streamed (large or unknown length; resendable only if no attempt has started reading it).
enum OutgoingBody: Sendable {
    case none
    case buffered(ByteBuffer)
    case streamed(OnceReadBody, length: Int?)

    /// Reads the client's body according to its framing and the edge's retry buffer limit.
    static func prepare(_ request: Request, bufferLimit: Int) async throws -> OutgoingBody {
        let length = request.headers[.contentLength].flatMap { Int($0) }
        if let length {
            if length == 0 { return .none }
            if length <= bufferLimit {
                var request = request
                return .buffered(try await request.collectBody(upTo: length))
            }
            return .streamed(OnceReadBody(request.body), length: length)
        }
        if request.headers[.transferEncoding] != nil { return .streamed(OnceReadBody(request.body), length: nil) }
        return .none
    }

    /// Whether a second attempt can send the whole body again.
    var isReplayable: Bool {
        switch self {
        case .none, .buffered: true
        case .streamed(let body, _): !body.started
        }
    }

    /// The body for AsyncHTTPClient.
    var clientBody: HTTPClientRequest.Body? {
        switch self {
        case .none: nil
        case .buffered(let buffer): .bytes(buffer)
        case .streamed(let body, let length): .stream(body, length: length.map { .known(Int64($0)) } ?? .unknown)
        }
    }
}

/// The client's streamed body, remembering whether anybody began to read it.
final class OnceReadBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    private let base: RequestBody
    private let startedFlag = Atomic(false)

    init(_ base: RequestBody) { self.base = base }

    var started: Bool { startedFlag.load(ordering: .acquiring) }

    func makeAsyncIterator() -> RequestBody.AsyncIterator {
        startedFlag.store(true, ordering: .releasing)
        return base.makeAsyncIterator()
    }
}
