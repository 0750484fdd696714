import EtcdTestSupport
import Failover
import Foundation
import Testing

@testable import Controller

/// A new leader's detectors start from what its replica saw before it led (`Controller.seed`).
@Suite struct DetectorSeedTests {
    /// us-east-1 is down from the start, and the replica also saw it unreachable three times just before it ran.
    /// A seeded detector says so when the term starts, before `controller-started`; a fresh one needs three probes
    /// of the term, after it. (Whether the three given here are still fresh when the replica comes to lead depends
    /// on the machine's speed; if they are not, the replica's own probes before it led are.)
    @Test func aNewTermStartsFromTheFailuresItsReplicaSawBeforeItLed() async throws {
        try await TestEtcdCluster.with { cluster in
            let world = ControllerFailoverTests.World()
            await world.crash("us-east-1")
            let eu = try testReplica("eu-west-1", world: world, etcd: cluster.endpoints)
            for _ in 0..<3 {
                await eu.deliver(
                    ProbeObservation(
                        region: "us-east-1", vantage: "eu-west-1", portalReady: false, portalAnswered: false,
                        database: nil, databaseProbed: true, latencyMilliseconds: 1))
            }
            let run = Task { await eu.run() }
            defer { run.cancel() }
            try await eventually("eu-west-1 leads") { await eu.leading != nil }
            try await eventually("the term has started") {
                try await eu.events(after: 0).contains { $0.kind == .controllerStarted }
            }
            let events = try await eu.events(after: 0)
            var startedAt = Int.max
            var verdictAt = Int.max
            for event in events {
                if event.kind == .controllerStarted { startedAt = min(startedAt, event.sequence) }
                if event.kind == .vantageVerdict, event.region == "us-east-1", event.details?["vantage"] == "eu-west-1",
                    event.message.hasSuffix("unreachable")
                {
                    verdictAt = min(verdictAt, event.sequence)
                }
            }
            #expect(verdictAt < startedAt, "seeded before the term's first probe")
        }
    }
}
