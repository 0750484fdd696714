import NIOHTTP1
import Testing

@testable import Edge

/// The edge's `X-Forwarded-For`: the TCP peer is appended after whatever the client sent, never instead of it
/// and never trusted, so that a portal taking the right-most untrusted entry finds the real client.
@Suite struct ProxyHeadersTests {
    @Test func thePeerIsAppendedAfterEveryForwardedForTheClientSent() {
        let fields = HTTPHeaders([("X-Forwarded-For", "203.0.113.9"), ("x-forwarded-for", "10.0.0.1, 10.0.0.2")])
        let headers = ProxyHeaders.upstream(fields, clientAddress: "198.51.100.7", authority: nil, requestID: "r")
        #expect(headers["X-Forwarded-For"] == ["203.0.113.9, 10.0.0.1, 10.0.0.2, 198.51.100.7"])
    }

    @Test func withoutAForwardedForThePeerIsTheOnlyEntry() {
        let headers = ProxyHeaders.upstream(HTTPHeaders(), clientAddress: "127.0.0.2", authority: nil, requestID: "r")
        #expect(headers["X-Forwarded-For"] == ["127.0.0.2"])
    }
}
