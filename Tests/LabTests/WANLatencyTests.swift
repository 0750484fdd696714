import Foundation
import Testing

@testable import Lab

@Suite("WAN emulator: latency, jitter, loss, throughput")
struct WANLatencyTests {
    @Test func roundTripAcrossA50msLinkTakesTwoCrossings() async throws {
        try await WANTest.withEchoServer { server in
            try await WANTest.withEmulator { emulator in
                emulator.setConditions(.init(latency: .milliseconds(50)), between: "outside", and: "us-east-1")
                let route = try await emulator.addRoute(
                    name: "edge", from: "outside", to: "us-east-1", targetPort: server.port)
                try await WANTest.withConnection(to: route.listenPort) { connection in
                    var echoed: [UInt8]?
                    let elapsed = try await WANTest.milliseconds {
                        try await connection.send(Array("ping".utf8))
                        echoed = try await connection.receive(count: 4)
                    }
                    #expect(echoed == Array("ping".utf8))
                    #expect(elapsed >= 99 && elapsed < 10_000, "round trip took \(elapsed) ms")
                }
            }
        }
    }

    @Test func noConditionsAddLittleLatency() async throws {
        try await WANTest.withEchoServer { server in
            try await WANTest.withEmulator { emulator in
                let route = try await emulator.addRoute(
                    name: "r", from: "outside", to: "us-east-1", targetPort: server.port)
                let direct = try await medianRoundTrip(port: server.port)
                let proxied = try await medianRoundTrip(port: route.listenPort)
                print(
                    "WAN .none: direct round trip \(direct) ms, proxied \(proxied) ms, added per crossing \((proxied - direct) / 2) ms"
                )
                // A sanity bound only (the figure itself is printed): a route without conditions adds no delay of its own.
                #expect(proxied < 10_000, "median round trip through a route without conditions: \(proxied) ms")
            }
        }
    }

    @Test func bulkTransferWithJitterArrivesIntactAndInOrder() async throws {
        try await WANTest.withEchoServer { server in
            try await WANTest.withEmulator { emulator in
                // Jitter as large as the latency: without per-direction ordering chunks would overtake each other.
                emulator.setConditions(
                    .init(latency: .milliseconds(3), jitter: .milliseconds(3)), between: "us-east-1", and: "eu-west-1")
                let route = try await emulator.addRoute(
                    name: "replication", from: "eu-west-1", to: "us-east-1", targetPort: server.port)
                let payload = WANTest.noise(count: 5_000_000)
                try await WANTest.withConnection(to: route.listenPort) { connection in
                    try await connection.send(payload)
                    let echoed = try await connection.receive(count: payload.count, within: .seconds(10))
                    #expect(echoed?.count == payload.count)
                    #expect(echoed.map(checksum) == checksum(payload))
                    #expect(echoed == payload)
                }
                let link = emulator.links().first { $0.a == "eu-west-1" && $0.b == "us-east-1" }
                #expect(link?.bytesForwarded == 2 * payload.count)
            }
        }
    }

    /// A bulk transfer crosses intact; the rates are printed, not asserted (speed is measured, never tested).
    @Test func bulkTransferWithoutConditions() async throws {
        try await WANTest.withEchoServer { server in
            try await WANTest.withEmulator { emulator in
                let route = try await emulator.addRoute(
                    name: "bulk", from: "outside", to: "us-east-1", targetPort: server.port)
                let payload = WANTest.noise(count: 16 << 20)
                let direct = try await echoThroughput(port: server.port, payload)
                let proxied = try await echoThroughput(port: route.listenPort, payload)
                print(
                    "WAN throughput (echo of 16 MiB, each way): direct \(direct) MiB/s, through a route \(proxied) MiB/s"
                )
                #expect(proxied > 0 && direct > 0)
            }
        }
    }

    /// MiB/s of an echo of `payload`, each way.
    private func echoThroughput(port: Int, _ payload: [UInt8]) async throws -> Double {
        try await WANTest.withConnection(to: port) { connection in
            var echoed: [UInt8]?
            let elapsed = try await WANTest.milliseconds {
                connection.sendWithoutWaiting(payload)
                echoed = try await connection.receive(count: payload.count, within: .seconds(20))
            }
            #expect(echoed == payload)
            return Double(payload.count) / 1_048_576 / (elapsed / 1000)
        }
    }

    @Test func closeCrossesTheLinkAfterTheDataAheadOfIt() async throws {
        try await WANTest.withEchoServer(closeAfterEcho: true) { server in
            try await WANTest.withEmulator { emulator in
                emulator.setConditions(.init(latency: .milliseconds(30)), between: "outside", and: "us-east-1")
                let route = try await emulator.addRoute(
                    name: "edge", from: "outside", to: "us-east-1", targetPort: server.port)
                try await WANTest.withConnection(to: route.listenPort) { connection in
                    try await connection.send(Array("bye".utf8))
                    #expect(try await connection.receive(count: 3) == Array("bye".utf8))
                    #expect(try await connection.closes(within: .seconds(10)))
                }
                #expect(try await WANTest.eventually { emulator.links().first?.openConnections == 0 })
            }
        }
    }

    @Test func lossDelaysChunksByARetransmissionTimeout() async throws {
        try await WANTest.withEchoServer { server in
            try await WANTest.withEmulator { emulator in
                emulator.setConditions(.init(latency: .zero, loss: 1), between: "outside", and: "us-east-1")
                let route = try await emulator.addRoute(
                    name: "lossy", from: "outside", to: "us-east-1", targetPort: server.port)
                try await WANTest.withConnection(to: route.listenPort) { connection in
                    var echoed: [UInt8]?
                    let elapsed = try await WANTest.milliseconds {
                        try await connection.send([1, 2, 3])
                        echoed = try await connection.receive(count: 3)
                    }
                    #expect(echoed == [1, 2, 3])
                    #expect(elapsed >= 399 && elapsed < 10_000, "two lost crossings took \(elapsed) ms")
                }
            }
        }
    }

    private func medianRoundTrip(port: Int) async throws -> Double {
        try await WANTest.withConnection(to: port) { connection in
            var samples: [Double] = []
            for _ in 0..<30 {
                samples.append(
                    try await WANTest.milliseconds {
                        try await connection.send([7])
                        _ = try await connection.receive(count: 1, spin: true)
                    })
            }
            return samples.sorted()[samples.count / 2]
        }
    }

    private func checksum(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(14_695_981_039_346_656_037) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }
}
