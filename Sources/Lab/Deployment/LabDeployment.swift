import AsyncHTTPClient
import Failover
import Foundation
import LocalPostgres
import Logging
import NIOCore

/// A multi-region deployment on this machine (DESIGN.md §5): per region a PostgreSQL server (the primary's
/// made with initdb, every other one a streaming standby from `pg_basebackup`) and portals; between regions
/// the WAN emulator. `up`, `status` and `down` work from the state file, so any later `drctl` can use them.
public struct LabDeployment: Sendable {
    public let directory: String
    let logger: Logger

    public init(directory: String, logger: Logger) {
        self.directory =
            (directory as NSString).standardizingPath.hasPrefix("/")
            ? (directory as NSString).standardizingPath
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(directory)
        self.logger = logger
    }

    /// The saved state, or `notRunning` when there is no lab in the folder.
    public func state() throws(LabError) -> LabState {
        guard let state = try LabState.load(from: directory) else {
            throw LabError(.notRunning, "no lab in \(directory): start one with drctl lab up")
        }
        return state
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Polls `url` until it answers 200, or throws after `timeout` naming what did not come up.
    /// When `process` (the one that serves `url`) exits meanwhile, throws at once with the end of its log.
    static func waitForHTTP(
        _ url: String, timeout: Duration, what: String, process: LabState.ProcessRecord? = nil, token: String? = nil,
        until accept: (String) -> Bool = { _ in true }
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = "no answer"
        while true {
            // A loaded machine answers slowly (a control-plane status crosses raft): each attempt may take 5 s.
            do {
                let (status, body) = try await httpGet(url, timeout: .seconds(5), token: token)
                if status == 200, accept(body) { return }
                last = "HTTP \(status): \(body.prefix(1500))"
            } catch {
                last = "\(error)"
            }
            if let process, !DetachedProcess.isRunning(process) {
                throw LabError(
                    .startFailed,
                    "\(what) exited (pid \(process.pid)) before it became healthy; the end of \(process.logFile):\n"
                        + DetachedProcess.logTail(process))
            }
            guard ContinuousClock.now < deadline else {
                throw LabError(
                    .startFailed,
                    "\(what) did not become healthy within \(timeout) (\(url); its last answer: \(last))"
                        + (process.map { "; the end of \($0.logFile):\n" + DetachedProcess.logTail($0) } ?? ""))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    static func httpStatus(_ url: String, timeout: Duration = .seconds(2)) async throws -> UInt {
        try await httpGet(url, timeout: timeout).status
    }

    static func httpGet(_ url: String, timeout: Duration = .seconds(2), token: String? = nil) async throws -> (
        status: UInt, body: String
    ) {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(timeout.wholeMilliseconds))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, String(buffer: body))
    }
}
