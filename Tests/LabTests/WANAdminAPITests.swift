import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import Lab

@Suite("WAN emulator: admin API and client")
struct WANAdminAPITests {
    @Test func clientSetsLinksPartitionsHealsAndRetargets() async throws {
        try await WANTest.withEchoServer { server in
            try await WANTest.withEmulator { emulator in
                _ = try await emulator.addRoute(
                    name: "db:eu-west-1->us-east-1", from: "eu-west-1", to: "us-east-1", targetPort: server.port)
                try await WANTest.withAdminAPI(emulator) { client in
                    try await client.health()
                    #expect(try await client.links().map { "\($0.a)-\($0.b)" } == ["eu-west-1-us-east-1"])

                    let link = try await client.setLink("us-east-1", "eu-west-1", .init(latencyMs: 38, jitterMs: 2))
                    #expect(link.conditions == LinkConditions(latency: .milliseconds(38), jitter: .milliseconds(2)))
                    let partial = try await client.setLink("eu-west-1", "us-east-1", .init(loss: 0.1))
                    #expect(partial.conditions.latency == .milliseconds(38) && partial.conditions.loss == 0.1)

                    try await client.partition("us-east-1")
                    #expect(emulator.conditions(between: "eu-west-1", and: "us-east-1").partitioned)
                    try await client.heal("us-east-1")
                    #expect(!emulator.conditions(between: "eu-west-1", and: "us-east-1").partitioned)
                    #expect(emulator.conditions(between: "eu-west-1", and: "us-east-1").latency == .milliseconds(38))

                    let moved = try await client.retarget(
                        route: "db:eu-west-1->us-east-1", to: "eu-west-1", targetPort: 5433)
                    #expect(moved.to == "eu-west-1" && moved.targetPort == 5433)
                    #expect(try await client.routes() == [moved])
                }
            }
        }
    }

    @Test func badInputIsAClientErrorWithAProblemDocument() async throws {
        try await WANTest.withEmulator { emulator in
            _ = try await emulator.addRoute(name: "edge", from: "outside", to: "us-east-1", targetPort: 9)
            try await WANTest.withAdminAPI(emulator) { client in
                let cases: [(method: HTTPMethod, path: String, body: String?, status: Int, code: String)] = [
                    (.PUT, "/links/US_EAST/outside", #"{"latencyMs": 1}"#, 400, "invalid-node-name"),
                    (.PUT, "/links/us-east-1/mars-1", #"{"latencyMs": 1}"#, 404, "unknown-node"),
                    (.PUT, "/links/us-east-1/outside", #"{"latencyMs": -5}"#, 422, "invalid-conditions"),
                    (.PUT, "/links/us-east-1/outside", #"{"loss": 1.5}"#, 422, "invalid-conditions"),
                    (.PUT, "/links/us-east-1/outside", #"{"latency": 5}"#, 400, "malformed-request"),
                    (.PUT, "/links/us-east-1/outside", #"{"latencyMs": "fast"}"#, 400, "malformed-request"),
                    (.PUT, "/links/us-east-1/outside", "not json", 400, "malformed-request"),
                    (.POST, "/nodes/nowhere/partition", nil, 404, "unknown-node"),
                    (.PUT, "/routes/nope", #"{"to": "us-east-1", "targetPort": 5432}"#, 404, "unknown-route"),
                    (.PUT, "/routes/edge", #"{"to": "us-east-1", "targetPort": 0}"#, 400, "invalid-address"),
                    (.GET, "/nothing-here", nil, 404, "not-found"),
                ]
                for item in cases {
                    var request = HTTPClientRequest(url: client.baseURL + item.path)
                    request.method = item.method
                    if let body = item.body { request.body = .bytes(ByteBuffer(string: body)) }
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                    let body = try await response.body.collect(upTo: 1 << 16)
                    let problem = try? JSONDecoder().decode(WANProblem.self, from: Data(body.readableBytesView))
                    #expect(Int(response.status.code) == item.status, "\(item.method) \(item.path)")
                    #expect(response.headers["Content-Type"] == ["application/problem+json"], "\(item.path)")
                    #expect(problem?.type == "/problems/\(item.code)", "\(item.method) \(item.path) \(item.body ?? "")")
                    #expect(problem?.detail.isEmpty == false)
                }
                await #expect(throws: WANError(.unknownRoute, "no route named 'nope'")) {
                    try await client.retarget(route: "nope", to: "us-east-1", targetPort: 5432)
                }
                #expect(emulator.conditions(between: "outside", and: "us-east-1") == .none)
            }
        }
    }

    @Test func clientReportsAnUnreachableAPI() async throws {
        let client = WANAdminClient(port: 1, timeout: .milliseconds(500))
        await #expect {
            try await client.health()
        } throws: { error in
            (error as? WANError)?.code == .adminUnreachable
        }
    }
}
