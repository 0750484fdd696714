import AWS
import Failover
import Foundation
import Logging
import StandInServers
import Synchronization
import Testing

/// The AWS prober against real local HTTP servers (a portal that answers 200, 503, or not at all, and a port
/// nobody listens on), and with Aurora's roles from a stub and from moto.
@Suite struct AWSRegionProberTests {
    static let logger = Logger(label: "aws-prober-test")

    /// Runs `body` with a stand-in portal that listens on a free loopback port, stopped afterwards (also on a throw).
    static func withPortal<T: Sendable>(_ body: (TestPortal) async throws -> T) async throws -> T {
        let portal = TestPortal(region: "eu-west-1")
        let (bound, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = Task {
            defer { continuation.finish() }
            try await portal.run(bound: { continuation.yield($0) })
        }
        var ports = bound.makeAsyncIterator()
        _ = await ports.next()
        let result: Result<T, any Error>
        do { result = .success(try await body(portal)) } catch { result = .failure(error) }
        await portal.stop()
        _ = try? await server.value
        return try result.get()
    }

    /// A prober of `urls`. The timeout is generous where an answer is expected: the suite shares two cores with
    /// moto's start-ups, and a probe that a busy machine delays must not read as a dead portal.
    static func prober(
        _ urls: [RegionName: String], tlsName: String? = nil, timeout: Duration = .seconds(10),
        clock: TestInstants = TestInstants(),
        databases: @escaping @Sendable () async throws -> [RegionName: DatabaseProbe] = { [:] }
    ) -> AWSRegionProber {
        AWSRegionProber(
            portalURLs: urls, tlsName: tlsName, timeout: timeout, refreshInterval: .seconds(1), databases: databases,
            now: { clock.now }, logger: logger)
    }

    /// The instants the prober measures its view's age on, moved by the test.
    final class TestInstants: Sendable {
        let instant = Mutex(ContinuousClock.now)
        var now: ContinuousClock.Instant { instant.withLock { $0 } }
        func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
    }

    /// How often the stub below was read, and whether it fails.
    final class StubAurora: Sendable {
        let reads = Mutex(0)
        let failing = Mutex(false)

        func read() throws -> [RegionName: DatabaseProbe] {
            reads.withLock { $0 += 1 }
            if failing.withLock({ $0 }) { throw FailoverError(.providerFailure, "RDS is down") }
            return [
                "us-east-1": DatabaseProbe(role: .primary, replayedLSN: nil, flushedLSN: nil, streaming: ["eu-west-1"]),
                "eu-west-1": DatabaseProbe(role: .standby, replayedLSN: nil, flushedLSN: nil, lagSeconds: 0.5),
            ]
        }
    }

    @Test func readyPortalIsHealthyAndAnUnavailableOneIsADatabaseDown() async throws {
        try await Self.withPortal { portal in
            let prober = Self.prober(["eu-west-1": portal.url])
            let ready = await prober.probe("eu-west-1", vantage: "us-east-1")
            #expect(ready.portalReady == true && ready.portalAnswered == true)
            #expect(ready.vantage == "us-east-1" && ready.region == "eu-west-1")
            #expect(ready.databaseProbed == false)
            // (Latency is what the detector's baseline judges; here only the mapping of a 200 is checked.)
            #expect(ready.condition(slowThreshold: .seconds(60)) == .healthy)

            portal.setHealth(.unavailable)
            let unavailable = await prober.probe("eu-west-1", vantage: "us-east-1")
            #expect(unavailable.portalReady == false && unavailable.portalAnswered == true)
            #expect(unavailable.condition(slowThreshold: .milliseconds(250)) == .databaseDown)
            await prober.close()
        }
    }

    @Test func silentPortalTimesOutAsUnreachable() async throws {
        try await Self.withPortal { portal in
            portal.setHealth(.silent)
            let prober = Self.prober(["eu-west-1": portal.url], timeout: .milliseconds(400))
            let started = ContinuousClock.now
            let silent = await prober.probe("eu-west-1", vantage: "us-east-1")
            let elapsed = started.duration(to: .now)
            #expect(silent.portalReady == false && silent.portalAnswered == false)
            #expect(silent.condition(slowThreshold: .milliseconds(250)) == .unreachable)
            #expect(elapsed >= .milliseconds(380))
            #expect(silent.latencyMilliseconds >= 380)
            portal.setHealth(.ready)
            await prober.close()
        }
    }

    @Test func nobodyListeningIsUnreachable() async throws {
        let port = try freeLoopbackPort()
        let prober = Self.prober(["us-east-1": "http://127.0.0.1:\(port)/"])
        let refused = await prober.probe("us-east-1", vantage: "eu-west-1")
        #expect(refused.portalAnswered == false)
        #expect(refused.condition(slowThreshold: .milliseconds(250)) == .unreachable)
        await prober.close()
    }

    @Test func tlsNameIsAskedForWhileTheLoadBalancerIsConnectedTo() async throws {
        try await Self.withPortal { portal in
            // The request names portal.example.test (no such host); the connection goes to the URL's host.
            let prober = Self.prober(["eu-west-1": portal.url], tlsName: "portal.example.test")
            let ready = await prober.probe("eu-west-1", vantage: "us-east-1")
            #expect(ready.portalReady == true)
            await prober.close()
        }
    }

    @Test func auroraViewIsSharedAndNotUsedWhenStale() async throws {
        let aurora = StubAurora()
        let clock = TestInstants()
        try await Self.withPortal { portal in
            let prober = Self.prober(["eu-west-1": portal.url, "us-east-1": portal.url], clock: clock) {
                try aurora.read()
            }
            for _ in 0..<3 {
                async let east = prober.probe("us-east-1", vantage: "eu-west-1")
                async let west = prober.probe("eu-west-1", vantage: "eu-west-1")
                let (primary, standby) = await (east, west)
                #expect(primary.database?.role == .primary && primary.database?.streaming == ["eu-west-1"])
                #expect(standby.database?.role == .standby && standby.database?.lagSeconds == 0.5)
                #expect(standby.database?.replayedLSN == nil)
            }
            #expect(aurora.reads.withLock { $0 } == 1)
            // Reads fail from now on: the last view serves for three refresh intervals, then no role is claimed.
            aurora.failing.withLock { $0 = true }
            clock.advance(.milliseconds(1_500))
            #expect(await prober.probe("us-east-1", vantage: "eu-west-1").database?.role == .primary)
            #expect(aurora.reads.withLock { $0 } == 2)
            clock.advance(.milliseconds(2_000))
            let stale = await prober.probe("us-east-1", vantage: "eu-west-1")
            #expect(stale.database == nil)
            #expect(stale.portalReady == true)
            await prober.close()
        }
    }

    @Test func auroraRolesFromMoto() async throws {
        try await withMotoServer { moto in
            try await AuroraGlobalReplicationTests.createGlobalCluster(on: moto)
            let replication = try AuroraGlobalReplication(
                configuration: AWSDeploymentConfiguration(
                    globalClusterIdentifier: "portal-global", replicationLagWindowSeconds: 0),
                session: AWSSession(configuration: moto.configuration()))
            try await Self.withPortal { portal in
                let prober = AWSRegionProber(
                    portalURLs: ["us-east-1": portal.url, "eu-west-1": portal.url], timeout: .seconds(5),
                    replication: replication, logger: Self.logger)
                let primary = await prober.probe("us-east-1", vantage: "eu-west-1")
                let standby = await prober.probe("eu-west-1", vantage: "eu-west-1")
                #expect(primary.database?.role == .primary)
                #expect(primary.database?.streaming == ["eu-west-1"])
                #expect(primary.database?.readOnly == false)
                #expect(standby.database?.role == .standby)
                #expect(standby.portalReady == true)
                await prober.close()
            }
        }
    }
}
