import Failover
import Foundation
import Lab
import Logging
import StandInServers

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where the built executables are: next to the test bundle (`.build/debug`).
enum BuiltProducts {
    static var directory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }
    static var portal: String { directory.appendingPathComponent("customer-portal").path }
    static var drctl: String { directory.appendingPathComponent("drctl").path }
}

/// At most two labs run at once in the test process. Swift Testing runs suites in parallel, and five labs at once
/// (each three PostgreSQL servers, portals, etcd members, the WAN, the edge, a controller and agents) starve
/// two cores so badly that probes time out, the controller fails over during start-up and a lab never gets its
/// write lease: the failures seen under load were of that kind.
let labSlots = TestSlots(capacity: 2)

/// Runs `body` while it holds one of the test process's lab slots.
func withLabSlot<T>(_ body: () async throws -> T) async throws -> T {
    try await labSlots.withSlot(body)
}

/// Runs `body` with a lab in a fresh temporary folder and always takes the lab down (by pid) and deletes the
/// folder afterwards, also when `body` throws. The lab holds a slot of `labSlots` while it runs.
func withLab<T>(
    _ configure: (inout LabConfiguration) -> Void = { _ in },
    _ body: (LabDeployment, LabState) async throws -> T
) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "lab-test-\(UUID().uuidString.prefix(8))"
    )
    .path
    var configuration = LabConfiguration()
    configuration.directory = directory
    configuration.latencyScale = 0
    configuration.bcryptCost = 4
    configuration.portalExecutable = BuiltProducts.portal
    configuration.controlExecutable = BuiltProducts.drctl
    configuration.controllerSettings = .forTests
    configure(&configuration)
    var logger = Logger(label: "lab-test")
    logger.logLevel = .warning
    let deployment = LabDeployment(directory: directory, logger: logger)
    return try await withLabSlot {
        do {
            let (state, _) = try await deployment.up(configuration)
            let result = try await body(deployment, state)
            try await deployment.down(purge: true)
            return result
        } catch {
            _ = try? await deployment.down(purge: true)
            throw error
        }
    }
}

/// A small JSON-over-HTTP client for the portals in tests.
struct HTTP {
    struct Reply: @unchecked Sendable {
        var status: Int
        var headers: [String: String]
        var json: [String: Any]
        subscript(key: String) -> String? { json[key] as? String }
    }

    static func send(
        _ method: String, _ url: String, json: [String: Any]? = nil, token: String? = nil,
        headers: [String: String] = [:], timeout: TimeInterval = 30
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = timeout
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            fields[String(describing: name).lowercased()] = String(describing: value)
        }
        let body = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return Reply(status: http.statusCode, headers: fields, json: body)
    }
}

/// Whether `pid` has exited: its `/proc` entry is gone, or it is a zombie waiting for its parent (init, for a
/// process whose starter was killed) to collect it. Polls for a few seconds, since an exit is not instant.
func hasExited(_ pid: Int32) async -> Bool {
    for _ in 0..<100 {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return false
}

extension ControllerSettings {
    /// The whole suite runs labs in parallel on two cores: a probe can take a second for no fault at all. Tests
    /// that are not about gray failures must not see one there, so probes wait longer and "slow" means much slower.
    static var forTests: ControllerSettings {
        var settings = ControllerSettings()
        settings.probeTimeout = .seconds(2)
        settings.slowThreshold = .seconds(2)
        return settings
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Retries until `condition` holds, or fails after `limit` (a hang guard, not a timing assertion).
func eventually(_ what: String, limit: Duration = .seconds(90), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(200))
    }
    throw TestFailure("\(what) did not happen within \(limit)")
}
