import AsyncHTTPClient
import Failover
import NIOCore
import NIOPosix
import StandInServers
import Testing

@testable import Edge

/// Real portals behind a real edge on loopback: nearest region, failover and recovery, dials and weights.
@Suite(.serialized) struct RoutingLiveTests {
    static func threeRegions() -> [TestPortal] {
        [TestPortal(region: "us-east-1"), TestPortal(region: "eu-west-1"), TestPortal(region: "ap-southeast-2")]
    }

    @Test func eachLocationGoesToItsNearestRegion() async throws {
        try await EdgeHarness.withEdge(
            portals: Self.threeRegions(),
            configure: {
                $0.primaryRegion = "eu-west-1"
                $0.locationListeners = [.init(location: "ap", port: 0)]
            }
        ) { edge in
            let expected = [
                "us": "us-east-1", "eu": "eu-west-1", "ap": "ap-southeast-2", "us-east-1": "us-east-1",
                "eu-west-1": "eu-west-1", "ap-southeast-2": "ap-southeast-2",
            ]
            for (location, region) in expected {
                let response = try await edge.send(location: location)
                #expect(response.status == 200)
                #expect(response.servedBy == region, "location \(location)")
                #expect(response.body == region)
            }
            #expect(try await edge.send().servedBy == "eu-west-1", "no location: the primary's region")
            let apPort = try #require(edge.addresses.locationPorts["ap"])
            #expect(try await edge.send(port: apPort).servedBy == "ap-southeast-2")
            #expect(try await edge.send(location: "us", port: apPort).servedBy == "us-east-1")
        }
    }

    @Test func proxyPassesRequestIdAndForwardedFor() async throws {
        try await EdgeHarness.withEdge(portals: [TestPortal(region: "us-east-1")]) { edge in
            let given = try await edge.send(headers: [("X-Request-Id", "abc-123"), ("X-Forwarded-For", "10.0.0.9")])
            #expect(given.header("X-Request-Id") == "abc-123")
            #expect(given.header("X-Seen-Request-Id") == "abc-123")
            #expect(given.header("X-Seen-Forwarded-For") == "10.0.0.9, 127.0.0.1")
            let generated = try await edge.send()
            let id = try #require(generated.header("X-Request-Id"))
            #expect(
                id.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil, "\(id)"
            )
            #expect(generated.header("X-Request-Id") == generated.header("X-Seen-Request-Id"))
            #expect(try await edge.send().header("X-Request-Id") != id)
            let posted = try await edge.send(method: .POST, body: String(repeating: "x", count: 100_000))
            #expect(posted.header("X-Seen-Body-Bytes") == "100000")
        }
    }

    /// Three requests in one write, a body in the middle one: each is answered, in order, on the one connection,
    /// and the last one's `Connection: close` ends it.
    /// On an edge with an event loop of its own (`eventLoops`), which it shuts down when it stops.
    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await EdgeHarness.withEdge(portals: [TestPortal(region: "us-east-1")], configure: { $0.eventLoops = 1 }) {
            edge in
            let requests =
                "GET /first HTTP/1.1\r\nHost: edge\r\nX-Request-Id: first\r\n\r\n"
                + "POST /second HTTP/1.1\r\nHost: edge\r\nX-Request-Id: second\r\nContent-Length: 5\r\n\r\nhello"
                + "GET /third HTTP/1.1\r\nHost: edge\r\nX-Request-Id: third\r\nConnection: close\r\n\r\n"
            let port = edge.addresses.entryPort
            let answer = try await withDeadline(.seconds(20), orThrow: { RawExchangeTimeout() }) {
                try await rawExchange(port: port, requests)
            }
            let lines = answer.split(separator: "\r\n").map { $0.lowercased() }
            // Each body ("us-east-1") runs into the next status line: count the status lines in the whole text.
            #expect(answer.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 4, "\(answer)")
            #expect(
                lines.filter { $0.hasPrefix("x-request-id:") } == [
                    "x-request-id: first", "x-request-id: second", "x-request-id: third",
                ])
            #expect(
                lines.filter { $0.hasPrefix("x-seen-body-bytes:") } == [
                    "x-seen-body-bytes: 0", "x-seen-body-bytes: 5", "x-seen-body-bytes: 0",
                ])
        }
    }

    /// A request that is not HTTP gets the edge's problem document and the connection closes; the edge serves on.
    @Test func aMalformedRequestIsAnswered400WithAProblemDocument() async throws {
        try await EdgeHarness.withEdge(portals: [TestPortal(region: "us-east-1")]) { edge in
            let port = edge.addresses.entryPort
            for garbage in ["GET / HTTP/1.1\r\nBad Header\r\n\r\n", "\u{01}\u{02} nonsense\r\n\r\n"] {
                let answer = try await withDeadline(.seconds(20), orThrow: { RawExchangeTimeout() }) {
                    try await rawExchange(port: port, garbage)
                }
                #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(answer)")
                #expect(answer.lowercased().contains("content-type: application/problem+json"))
                #expect(answer.contains("malformed-request"), "\(answer)")
            }
            #expect(try await edge.send().status == 200)
        }
    }

    @Test func unavailableRegionFailsOverToNextNearestAndComesBack() async throws {
        let portals = Self.threeRegions()
        try await EdgeHarness.withEdge(portals: portals) { edge in
            #expect(try await edge.send(location: "us").servedBy == "us-east-1")
            portals[0].setHealth(.unavailable)
            let failover = try await edge.timeUntilServed(by: "eu-west-1", location: "us")
            #expect(failover != nil && failover! < .seconds(15), "failover took \(String(describing: failover))")
            #expect(try await edge.distribution(count: 10, location: "us") == ["eu-west-1": 10])
            portals[0].setHealth(.ready)
            let recovery = try await edge.timeUntilServed(by: "us-east-1", location: "us")
            #expect(recovery != nil && recovery! < .seconds(15), "recovery took \(String(describing: recovery))")
        }
    }

    @Test func silentHealthCheckCountsAsAFailure() async throws {
        let portals = Self.threeRegions()
        try await EdgeHarness.withEdge(portals: portals) { edge in
            portals[2].setHealth(.silent)
            // From ap the next nearest is us-east-1 (100 ms) rather than eu-west-1 (130 ms).
            let failover = try await edge.timeUntilServed(by: "us-east-1", location: "ap")
            #expect(failover != nil && failover! < .seconds(15), "failover took \(String(describing: failover))")
            let groups = try await edge.admin.endpointGroups().endpointGroups
            #expect(groups[2].endpoints[0].lastFailure == "timed out")
        }
    }

    @Test func closedRegionFailsOverToNextNearest() async throws {
        let portals = Self.threeRegions()
        try await EdgeHarness.withEdge(portals: portals) { edge in
            await portals[1].stop()
            // From eu the next nearest is us-east-1 (38 ms) rather than ap-southeast-2 (130 ms).
            for _ in 0..<5 {
                #expect(try await edge.send(location: "eu").servedBy == "us-east-1")
            }
            try await Task.sleep(for: .milliseconds(600))
            #expect(try await edge.admin.endpointGroups().endpointGroups[1].healthy == false)
        }
    }

    @Test func dialDrainsRestoresAndSplitsARegion() async throws {
        try await EdgeHarness.withEdge(portals: Self.threeRegions()) { edge in
            try await edge.admin.drain("us-east-1")
            #expect(try await edge.distribution(count: 20, location: "us") == ["eu-west-1": 20])
            try await edge.admin.setDial(.full, for: "us-east-1")
            #expect(try await edge.distribution(count: 20, location: "us") == ["us-east-1": 20])
            try await edge.admin.setDial(TrafficDial(rawValue: 50)!, for: "us-east-1")
            let split = try await edge.distribution(count: 200, location: "us")
            #expect((60...140).contains(split["us-east-1", default: 0]), "\(split)")
            #expect(split["us-east-1", default: 0] + split["eu-west-1", default: 0] == 200)
        }
    }

    @Test func weightsSplitARegionsEndpoints() async throws {
        let portals = [TestPortal(region: "us-east-1", index: 0), TestPortal(region: "us-east-1", index: 1)]
        try await EdgeHarness.withEdge(portals: portals) { edge in
            try await edge.admin.setWeight(200, region: "us-east-1", endpoint: 0)
            try await edge.admin.setWeight(50, region: "us-east-1", endpoint: 1)
            var first = 0
            for _ in 0..<200 where try await edge.send().header("X-Backend") == "us-east-1#0" {
                first += 1
            }
            #expect((130...190).contains(first), "\(first) of 200 to the weight-200 endpoint")
        }
    }

    @Test func nothingHealthyFailsOpenAndSaysSo() async throws {
        let portals = Self.threeRegions()
        try await EdgeHarness.withEdge(portals: portals) { edge in
            for portal in portals { portal.setHealth(.unavailable) }
            let clock = ContinuousClock()
            let start = clock.now
            var response = try await edge.send(location: "eu")
            while response.header("X-Edge-Fail-Open") == nil, clock.now - start < .seconds(5) {
                try await Task.sleep(for: .milliseconds(20))
                response = try await edge.send(location: "eu")
            }
            #expect(response.header("X-Edge-Fail-Open") == "true")
            #expect(response.status == 200)
            #expect(response.servedBy == "eu-west-1")
            #expect(try await edge.admin.endpointGroups().failOpen)
        }
    }
}

struct RawExchangeTimeout: Error {}

/// Writes `text` to a new connection to `port` and reads until the server closes it.
func rawExchange(port: Int, _ text: String) async throws -> String {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: text))
        var answer = ""
        for try await chunk in inbound { answer += String(buffer: chunk) }
        return answer
    }
}
