import Failover
import Foundation
import NIOCore
import Testing

@testable import Lab

@Suite("WAN emulator: link conditions")
struct WANConditionsTests {
    @Test func conditionsChangedAtRunTimeApplyToLaterChunks() async throws {
        try await WANTest.withEchoServer { server in
            try await WANTest.withEmulator { emulator in
                let route = try await emulator.addRoute(
                    name: "r", from: "outside", to: "eu-west-1", targetPort: server.port)
                try await WANTest.withConnection(to: route.listenPort) { connection in
                    // The lower bound carries the behaviour: a change applies to the next chunk. How fast the way
                    // back is cannot be asserted in a suite that shares two cores with whole labs.
                    _ = try await roundTrip(connection)
                    emulator.setConditions(.init(latency: .milliseconds(500)), between: "eu-west-1", and: "outside")
                    #expect(emulator.conditions(between: "outside", and: "eu-west-1").latency == .milliseconds(500))
                    let slow = try await roundTrip(connection)
                    #expect(slow >= 999, "round trip took \(slow) ms")
                    emulator.setConditions(.none, between: "outside", and: "eu-west-1")
                    #expect(emulator.conditions(between: "outside", and: "eu-west-1") == .none)
                    _ = try await roundTrip(connection)
                }
            }
        }
    }

    @Test func jsonUsesMilliseconds() throws {
        let conditions = LinkConditions(latency: .milliseconds(38), jitter: .microseconds(1900), loss: 0.01)
        let json = String(decoding: try WANJSON.encoder.encode(conditions), as: UTF8.self)
        #expect(json == #"{"jitterMs":1.9,"latencyMs":38,"loss":0.01,"partitioned":false}"#)
        #expect(try JSONDecoder().decode(LinkConditions.self, from: Data(json.utf8)) == conditions)
        #expect(try JSONDecoder().decode(LinkConditions.self, from: Data("{}".utf8)) == .none)
        #expect(
            "\(LinkConditions(latency: .milliseconds(38), jitter: .microseconds(1900), partitioned: true))"
                == "38 ms ± 1.9 ms, loss 0.0, partitioned")
    }

    @Test func partialUpdatesChangeOnlyGivenFieldsAndRejectBadValues() throws {
        let current = LinkConditions(latency: .milliseconds(38), jitter: .milliseconds(2))
        let updated = try LinkConditionsUpdate(partitioned: true).applied(to: current)
        #expect(updated == LinkConditions(latency: .milliseconds(38), jitter: .milliseconds(2), partitioned: true))
        #expect(throws: WANError.self) { try LinkConditionsUpdate(latencyMs: -1).applied(to: current) }
        #expect(throws: WANError.self) { try LinkConditionsUpdate(loss: 1.5).applied(to: current) }
        #expect(throws: WANError.self) { try LinkConditionsUpdate(jitterMs: .infinity).applied(to: current) }
        #expect(throws: WANError.self) { try LinkConditionsUpdate(latencyMs: 1e300).applied(to: current) }
    }

    @Test func defaultLatenciesFollowRealRegions() {
        func milliseconds(_ a: String, _ b: String, scale: Double = 1) -> Double {
            DefaultLatencies.conditions(between: a, and: b, scale: scale).latency.inMilliseconds
        }
        #expect(milliseconds("us-east-1", "eu-west-1") == 38)
        #expect(milliseconds("eu-west-1", "us-east-1") == 38)
        #expect(milliseconds("ap-southeast-2", "us-east-1") == 100)
        #expect(milliseconds("eu-west-1", "ap-southeast-2", scale: 0.5) == 65)
        #expect(milliseconds("us-west-2", "eu-west-1") == 60)
        #expect(milliseconds("outside", "eu-west-1") == 0)
        #expect(milliseconds("us-east-1", "eu-west-1", scale: 0) == 0)
        #expect(
            DefaultLatencies.conditions(between: "us-east-1", and: "eu-west-1", scale: 1).jitter.inMilliseconds == 1.9)
    }

    @Test func sampledDelaysStayWithinJitterAndNeverGoNegative() {
        var generator = SplitMix64(seed: 7)
        let jittery = LinkConditions(latency: .milliseconds(10), jitter: .milliseconds(20))
        let delays = (0..<1000).map { _ in jittery.sampleDelay(using: &generator) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(30) })
        #expect(delays.contains { $0 == .zero })
        let lossy = LinkConditions(latency: .milliseconds(10), loss: 1)
        #expect(lossy.sampleDelay(using: &generator) == .milliseconds(210))
    }

    @Test func pipeKeepsOrderWhenALaterChunkDrawsAShorterDelay() {
        var pipe = DelayedPipe()
        let start = NIODeadline.now()
        pipe.enqueue(.data(ByteBuffer(bytes: [1])), now: start, delay: .milliseconds(50))
        pipe.enqueue(.data(ByteBuffer(bytes: [2])), now: start, delay: .milliseconds(10))
        pipe.enqueue(.close, now: start, delay: .zero)
        #expect(pipe.queuedBytes == 2)
        #expect(pipe.popDue(now: start + .milliseconds(20)) == nil)
        guard case .data(let first) = pipe.popDue(now: start + .milliseconds(50)) else {
            Issue.record("the first chunk is due at 50 ms")
            return
        }
        #expect(Array(first.readableBytesView) == [1])
        guard case .data = pipe.popDue(now: start + .milliseconds(50)),
            case .close = pipe.popDue(now: start + .milliseconds(50))
        else {
            Issue.record("the second chunk and the close follow the first")
            return
        }
        #expect(pipe.isEmpty && pipe.queuedBytes == 0)
    }

    private func roundTrip(_ connection: TestConnection) async throws -> Double {
        try await WANTest.milliseconds {
            try await connection.send([5])
            _ = try await connection.receive(count: 1)
        }
    }
}
