import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StandInServers
import Testing

@testable import Edge

/// The admin API refuses bad input with a clear 4xx problem and unauthenticated calls with 401.
@Suite(.serialized) struct AdminAPILiveTests {
    func call(
        _ edge: RunningEdge, _ method: HTTPMethod, _ path: String, body: String? = nil,
        token: String? = EdgeHarness.token
    ) async throws -> (status: Int, contentType: String?, body: String) {
        var request = HTTPClientRequest(url: edge.adminURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), response.headers.first(name: "Content-Type"), String(buffer: bytes))
    }

    @Test func badInputGetsAClearProblem() async throws {
        try await EdgeHarness.withEdge(portals: [TestPortal(region: "us-east-1")]) { edge in
            let cases: [(HTTPMethod, String, String?, Int, String)] = [
                (.PUT, "/endpoint-groups/us-east-1", #"{"dial": 101}"#, 422, "invalid-dial"),
                (.PUT, "/endpoint-groups/us-east-1", #"{"dial": -1}"#, 422, "invalid-dial"),
                (.PUT, "/endpoint-groups/us-east-1", #"{"dial": "half"}"#, 400, "malformed-request"),
                (.PUT, "/endpoint-groups/us-east-1", "not json", 400, "malformed-request"),
                (.PUT, "/endpoint-groups/mars-north-1", #"{"dial": 10}"#, 404, "unknown-region"),
                (.POST, "/endpoint-groups/mars-north-1/drain", nil, 404, "unknown-region"),
                (.PUT, "/endpoint-groups/us-east-1/endpoints/0", #"{"weight": 256}"#, 422, "invalid-weight"),
                (.PUT, "/endpoint-groups/us-east-1/endpoints/7", #"{"weight": 1}"#, 404, "unknown-endpoint"),
                (.PUT, "/endpoint-groups/us-east-1/endpoints/x", #"{"weight": 1}"#, 404, "unknown-endpoint"),
                (.GET, "/nothing-here", nil, 404, "not-found"),
                (.PUT, "/endpoint-groups/us-east-1", String(repeating: " ", count: 10_000), 413, "body-too-large"),
            ]
            for (method, path, body, status, code) in cases {
                let answer = try await call(edge, method, path, body: body)
                #expect(answer.status == status, "\(method) \(path) \(body ?? "")")
                #expect(answer.contentType == "application/problem+json", "\(method) \(path)")
                #expect(answer.body.contains("\"\\/problems\\/\(code)\""), "\(answer.body)")
            }
            #expect(try await edge.admin.endpointGroups().endpointGroups[0].dial == 100, "nothing changed")
        }
    }

    @Test func missingOrWrongTokenGets401() async throws {
        try await EdgeHarness.withEdge(portals: [TestPortal(region: "us-east-1")]) { edge in
            for token in [nil, "wrong-token-wrong-token", EdgeHarness.token + "x", ""] as [String?] {
                let answer = try await call(edge, .GET, "/endpoint-groups", token: token)
                #expect(answer.status == 401)
                #expect(answer.contentType == "application/problem+json")
            }
            let drain = try await call(edge, .POST, "/endpoint-groups/us-east-1/drain", token: "nope")
            #expect(drain.status == 401)
            #expect(try await edge.admin.endpointGroups().endpointGroups[0].dial == 100)
        }
    }

    @Test func metricsAndTrafficManagerWork() async throws {
        try await EdgeHarness.withEdge(portals: [TestPortal(region: "us-east-1"), TestPortal(region: "eu-west-1")]) {
            edge in
            _ = try await edge.send()
            let manager = EdgeTrafficManager(admin: edge.admin)
            try await manager.setTrafficDial(.off, for: "us-east-1")
            let groups = try await manager.endpointGroups()
            #expect(groups.map(\.dial.rawValue) == [0, 100])
            await #expect(throws: (any Error).self) { try await manager.setTrafficDial(.off, for: "mars-north-1") }
            let metrics = try await call(edge, .GET, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.body.contains("edge_requests_total{region=\"us-east-1\",status=\"200\"}"))
            #expect(metrics.body.contains("edge_traffic_dial_percent{region=\"us-east-1\"} 0"))
        }
    }
}
