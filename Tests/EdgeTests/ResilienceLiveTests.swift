import AsyncHTTPClient
import Foundation
import NIOHTTP1
import StandInServers
import Testing

@testable import Edge

/// A region that accepts connections and never answers must not hang the edge's clients.
@Suite(.serialized) struct ResilienceLiveTests {
    @Test func hungRegionIsRetriedElsewhereForGetAndTimesOutForPostAndDelete() async throws {
        let hung = try await HungListener.start()
        let eu = TestPortal(region: "eu-west-1")
        do {
            try await hungRegion(hung, eu)
        } catch {
            await hung.close()
            throw error
        }
        await hung.close()
    }

    func hungRegion(_ hung: HungListener, _ eu: TestPortal) async throws {
        try await EdgeHarness.withEdge(
            portals: [eu], extraEndpoints: [(region: "us-east-1", url: hung.url)],
            configure: {
                $0.primaryRegion = "us-east-1"
                // Generous: the retry goes to an in-process portal, which must answer within it while the whole
                // suite starts on two cores (1 s was too short there).
                $0.responseTimeoutMilliseconds = 3000
                // Keep the hung region "healthy" so that the request really goes to it.
                $0.healthCheck.failureThreshold = 100
            }
        ) { edge in
            let clock = ContinuousClock()
            var start = clock.now
            let get = try await edge.send(location: "us")
            #expect(get.status == 200)
            #expect(get.servedBy == "eu-west-1")
            #expect(clock.now - start < .seconds(15))

            start = clock.now
            let post = try await edge.send("/v1/accounts", method: .POST, location: "us", body: "{}")
            #expect(post.status == 504)
            #expect(post.header("Content-Type") == "application/problem+json")
            #expect(post.servedBy == "us-east-1")
            #expect(clock.now - start < .seconds(15))

            // Idempotent in effect, not in answer: a repeated logout would answer 401.
            let delete = try await edge.send("/v1/sessions/current", method: .DELETE, location: "us")
            #expect(delete.status == 504)
            #expect(delete.servedBy == "us-east-1")
        }
    }

    @Test func unreachableRegionIsRetriedEvenForPost() async throws {
        let eu = TestPortal(region: "eu-west-1")
        try await EdgeHarness.withEdge(
            portals: [eu], extraEndpoints: [(region: "us-east-1", url: "http://127.0.0.1:1")],
            configure: { $0.healthCheck.failureThreshold = 100 }
        ) { edge in
            let post = try await edge.send("/v1/accounts", method: .POST, location: "us", body: "{}")
            #expect(post.status == 200)
            #expect(post.servedBy == "eu-west-1")
        }
    }

    @Test func unreachableOnlyRegionAnswers502() async throws {
        try await EdgeHarness.withEdge(
            portals: [], extraEndpoints: [(region: "us-east-1", url: "http://127.0.0.1:1")],
            configure: { $0.healthCheck.failureThreshold = 100 }
        ) { edge in
            let response = try await edge.send()
            #expect(response.status == 502)
            #expect(response.header("Content-Type") == "application/problem+json")
        }
    }
}
