import AsyncHTTPClient
import Edge
import Failover
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import StandInServers
import Synchronization

/// Runs test portals and an edge in front of them on free loopback ports, and stops all of it at the end,
/// also when the test body throws.
enum EdgeHarness {
    static let token = "test-admin-token-0123456789"

    static var logger: Logger {
        var logger = Logger(label: "edge-test")
        logger.logLevel = .warning
        return logger
    }

    /// Starts `portals`, builds the configuration from their URLs, runs the edge, then `body`.
    static func withEdge<T: Sendable>(
        portals: [TestPortal], extraEndpoints: [(region: String, url: String)] = [],
        configure: (inout EdgeConfiguration) -> Void = { _ in },
        _ body: (RunningEdge) async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            let bound = BoundCounter(expected: portals.count)
            for portal in portals {
                tasks.addTask { try await portal.run(bound: { _ in bound.arrive() }) }
            }
            await bound.wait()
            var regionOrder: [String] = []
            for portal in portals where !regionOrder.contains(portal.region) { regionOrder.append(portal.region) }
            for extra in extraEndpoints where !regionOrder.contains(extra.region) { regionOrder.append(extra.region) }
            var configuration = EdgeConfiguration(
                regions: regionOrder.map { region in
                    EdgeConfiguration.RegionGroup(
                        name: RegionName(region),
                        endpoints: portals.filter { $0.region == region }.map { .init(url: $0.url) }
                            + extraEndpoints.filter { $0.region == region }.map { .init(url: $0.url) })
                })
            configuration.port = 0
            configuration.adminPort = 0
            configuration.adminToken = token
            configuration.healthCheck.intervalMilliseconds = 100
            // Generous: the stand-in portals share this process with the whole suite, and a loaded machine made
            // two 1 s probes of a healthy one time out in a row (CI), taking it out of rotation mid-test.
            configuration.healthCheck.timeoutMilliseconds = 2500
            configuration.healthCheck.failureThreshold = 2
            configuration.healthCheck.recoveryThreshold = 2
            configure(&configuration)
            let server = try EdgeServer(configuration: configuration, logger: logger)
            let edgeGroup = ServiceGroup(services: [server.makeService()], logger: logger)
            tasks.addTask { try await edgeGroup.run() }
            let addresses = await server.addresses()
            let running = RunningEdge(server: server, addresses: addresses)
            let result: Result<T, any Error>
            do {
                result = .success(try await body(running))
            } catch {
                result = .failure(error)
            }
            await edgeGroup.triggerGracefulShutdown()
            for portal in portals { await portal.stop() }
            try await tasks.waitForAll()
            return try result.get()
        }
    }
}

/// Counts listeners as they bind, so the test waits until all are up.
final class BoundCounter: Sendable {
    private let state: Mutex<(count: Int, waiters: [CheckedContinuation<Void, Never>])>
    private let expected: Int

    init(expected: Int) {
        self.expected = expected
        state = Mutex((0, []))
    }

    func arrive() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.count += 1
            guard state.count >= expected else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.count >= expected { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

/// A running edge and the ways a test talks to it.
struct RunningEdge: Sendable {
    let server: EdgeServer
    let addresses: EdgeAddresses

    var entryURL: String { "http://127.0.0.1:\(addresses.entryPort)" }
    var adminURL: String { "http://127.0.0.1:\(addresses.adminPort ?? 0)" }
    var admin: EdgeAdminClient { EdgeAdminClient(baseURL: adminURL, token: EdgeHarness.token) }

    /// One request through the edge; the answer's status, headers and body.
    func send(
        _ path: String = "/v1/me", method: HTTPMethod = .GET, location: String? = nil, port: Int? = nil,
        headers extra: [(String, String)] = [], body: String? = nil
    ) async throws -> TestResponse {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port ?? addresses.entryPort)\(path)")
        request.method = method
        if let location { request.headers.add(name: "X-Client-Location", value: location) }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return TestResponse(
            status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    /// Sends `count` requests and counts them by serving region.
    func distribution(count: Int, location: String? = nil) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for _ in 0..<count {
            let response = try await send(location: location)
            counts[response.servedBy, default: 0] += 1
        }
        return counts
    }

    /// Sends requests until one is served by `region`; the time it took, or `nil` after `limit`.
    func timeUntilServed(by region: String, location: String?, limit: Duration = .seconds(20)) async throws
        -> Duration?
    {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < limit {
            if try await send(location: location).servedBy == region { return clock.now - start }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}

/// What a test sees of one response.
struct TestResponse: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: String

    var servedBy: String { headers.first(name: "X-Served-By-Region") ?? "" }
    func header(_ name: String) -> String? { headers.first(name: name) }
}
