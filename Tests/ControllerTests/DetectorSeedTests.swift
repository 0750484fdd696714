import EtcdTestSupport
import Failover
import Foundation
import Testing

@testable import Controller

/// A new leader's detectors start from what its replica saw before it led (`Controller.seed`).
@Suite struct DetectorSeedTests {
    /// The replica saw us-east-1 unreachable three times just before it came to lead; the world answers healthy
    /// from then on. Only a seeded detector can say "unreachable": fresh ones never see a failure.
    @Test func aNewTermStartsFromTheFailuresItsReplicaSawBeforeItLed() async throws {
        try await TestEtcdCluster.with { cluster in
            let world = ControllerFailoverTests.World()
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
            let events = try await eu.events(after: 0)
            #expect(
                events.contains {
                    $0.kind == .vantageVerdict && $0.region == "us-east-1" && $0.details?["vantage"] == "eu-west-1"
                        && $0.message.hasSuffix("unreachable")
                })
        }
    }
}
