import Failover
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

    @Test func newRequestIdsAreVersion4UUIDsThatDoNotRepeatAndASaneGivenOneIsKept() {
        var random = SplitMix64(seed: 42)
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = RequestID.make(using: &random)
            #expect(
                id.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil, "\(id)"
            )
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
        #expect(ProxyHeaders.requestID(from: ["X-Request-Id": "abc-123"], random: &random) == "abc-123")
        let insane = ProxyHeaders.requestID(from: ["X-Request-Id": "has space"], random: &random)
        #expect(insane != "has space" && insane.utf8.count == 36)
    }
}
