import Etcd
import Foundation
import LocalPostgres

#if canImport(Glibc)
    import Glibc
#endif

/// Throw-away etcd members for one test: free loopback ports, a temporary folder, stopped by pid afterwards (also
/// when the test throws), the folder removed.
public struct TestEtcdCluster {
    public struct Member {
        public var configuration: EtcdMemberConfiguration
        public var process: Process
    }

    public var members: [Member]
    public var endpoints: [String] { members.map(\.configuration.clientURL) }

    /// Runs `body` with a fresh cluster of `size` members that all answer `/health`.
    public static func with<T>(size: Int = 1, _ body: (inout TestEtcdCluster) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ports = try (0..<size).map { _ in (try PostgresTools.freePort(), try PostgresTools.freePort()) }
        let peers = ports.enumerated().map { index, ports in
            EtcdMemberConfiguration.Peer(name: "m\(index)", peerURL: "http://127.0.0.1:\(ports.1)")
        }
        var cluster = TestEtcdCluster(members: [])
        let result: Result<T, any Error>
        do {
            let executable = try EtcdMemberConfiguration.executable()
            for (index, (clientPort, peerPort)) in ports.enumerated() {
                let configuration = EtcdMemberConfiguration(
                    name: "m\(index)", dataDirectory: folder.appendingPathComponent("m\(index)").path,
                    clientPort: clientPort, peerPort: peerPort, initialCluster: peers)
                try configuration.validate()
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = configuration.arguments
                let log = folder.appendingPathComponent("m\(index).log")
                FileManager.default.createFile(atPath: log.path, contents: nil)
                let handle = try FileHandle(forWritingTo: log)
                process.standardOutput = handle
                process.standardError = handle
                try PostgresTools.launch(process)
                cluster.members.append(Member(configuration: configuration, process: process))
            }
            try await cluster.waitUntilHealthy()
            result = .success(try await body(&cluster))
        } catch {
            result = .failure(error)
        }
        for member in cluster.members { await stop(member.process) }
        try? FileManager.default.removeItem(at: folder)
        return try result.get()
    }

    /// Stops member `index` by its pid (SIGKILL: a crash).
    public func kill(_ index: Int) async {
        await Self.stop(members[index].process, signal: SIGKILL)
    }

    /// Waits until the members `indices` (all by default) say they are healthy: they have a raft leader.
    public func waitUntilHealthy(_ indices: [Int]? = nil) async throws {
        let client = try EtcdClient(configuration: .init(endpoints: endpoints))
        // Generous: with the whole suite on two cores a member's first fsyncs can take long.
        let deadline = ContinuousClock.now + .seconds(90)
        for endpoint in (indices ?? Array(members.indices)).map({ endpoints[$0] }) {
            while await !client.isHealthy(endpoint) {
                guard ContinuousClock.now < deadline else { throw EtcdError(.unavailable, "\(endpoint) not healthy") }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    private static func stop(_ process: Process, signal: Int32 = SIGTERM) async {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
