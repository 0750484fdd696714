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

    /// Runs `body` with a fresh cluster of `size` members that all answer `/health`. A member that exits before
    /// the cluster is healthy (its port, free a moment ago, was taken by another test meanwhile) starts the cluster
    /// again on new ports, at most three times.
    public static func with<T>(size: Int = 1, _ body: (inout TestEtcdCluster) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "etcd-test-\(UUID().uuidString)")
            var cluster = TestEtcdCluster(members: [], folder: folder)
            let result: Result<T, any Error>
            var exitedEarly = false
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try cluster.launch(size: size)
                do {
                    try await cluster.waitUntilHealthy()
                } catch let error as EtcdError where cluster.members.contains(where: { !$0.process.isRunning }) {
                    exitedEarly = true
                    throw error
                }
                result = .success(try await body(&cluster))
            } catch {
                result = .failure(error)
            }
            for member in cluster.members { await stop(member.process) }
            try? FileManager.default.removeItem(at: folder)
            if exitedEarly, attempt < 3 {
                attempt += 1
                continue
            }
            return try result.get()
        }
    }

    var folder: URL

    private mutating func launch(size: Int) throws {
        let ports = try (0..<size).map { _ in (try PostgresTools.freePort(), try PostgresTools.freePort()) }
        let peers = ports.enumerated().map { index, ports in
            EtcdMemberConfiguration.Peer(name: "m\(index)", peerURL: "http://127.0.0.1:\(ports.1)")
        }
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
            members.append(Member(configuration: configuration, process: process))
        }
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
        let awaited = indices ?? Array(members.indices)
        for index in awaited {
            while await !client.isHealthy(endpoints[index]) {
                if let exited = awaited.first(where: { !members[$0].process.isRunning }) {
                    throw EtcdError(.unavailable, "member m\(exited) exited: \(logTail(exited))")
                }
                guard ContinuousClock.now < deadline else {
                    throw EtcdError(.unavailable, "\(endpoints[index]) not healthy; its log ends: \(logTail(index))")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// The last lines of member `index`'s log, for an error message.
    private func logTail(_ index: Int) -> String {
        let log = folder.appendingPathComponent("m\(index).log")
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(3).joined(separator: " | ")
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
