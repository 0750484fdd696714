import Foundation
import LocalPostgres

#if canImport(Glibc)
    import Glibc
#endif

/// Starting and stopping the lab's long-running processes. Foundation starts each child in a process group of
/// its own, so they outlive the `drctl` that started them and a Ctrl-C in its terminal does not reach them
/// (wrapping them in `setsid` would fork, since a group leader cannot start a session, and hide the real pid).
/// They are stopped only by the pid recorded in the lab state, after checking that it still runs the recorded
/// executable.
public enum DetachedProcess {
    /// Starts `executable arguments` detached, output appended to `logFile`; the record of the started process.
    static func start(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], logFile: String
    ) throws -> LabState.ProcessRecord {
        FileManager.default.createFile(atPath: logFile, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logFile) else {
            throw LabError(.startFailed, "cannot write the log file \(logFile)")
        }
        defer { try? log.close() }
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try PostgresTools.launch(process)
        return LabState.ProcessRecord(
            pid: process.processIdentifier, executable: executable, logFile: logFile, arguments: arguments,
            environment: environment)
    }

    /// Starts a process again exactly as `record` says it was started.
    static func restart(_ record: LabState.ProcessRecord) throws -> LabState.ProcessRecord {
        try start(
            record.executable, record.arguments ?? [], environment: record.environment ?? [:], logFile: record.logFile)
    }

    /// Sends `signal` to the process and to every process below it (a postmaster's backends, which keep
    /// serving their sessions while only the postmaster is stopped).
    static func signal(_ record: LabState.ProcessRecord, _ signal: Int32) {
        guard isRunning(record) || signal == SIGCONT else { return }
        let family = [record.pid] + descendants(of: record.pid)
        // Stop from the top, so no new child escapes; continue from the bottom.
        for pid in signal == SIGCONT ? family.reversed() : family { kill(pid, signal) }
    }

    /// Every process below `pid`, parents before children, from `/proc/*/stat`.
    public static func descendants(of pid: Int32) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { children[parent, default: []].append(child) }
        }
        var result: [Int32] = []
        var queue = children[pid] ?? []
        while !queue.isEmpty {
            let next = queue.removeFirst()
            result.append(next)
            queue += children[next] ?? []
        }
        return result
    }

    /// Whether the recorded process still runs (and is the recorded executable, not a reused pid).
    static func isRunning(_ record: LabState.ProcessRecord) -> Bool {
        guard kill(record.pid, 0) == 0 || errno == EPERM else { return false }
        guard let state = try? String(contentsOfFile: "/proc/\(record.pid)/stat", encoding: .utf8) else {
            return false
        }
        // A zombie (state Z) has exited; only its parent's wait is missing.
        if let close = state.lastIndex(of: ")"), state[state.index(close, offsetBy: 2)] == "Z" { return false }
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(record.pid)/exe") else {
            return true  // not ours to read (another user's process): trust the pid
        }
        let expected = URL(fileURLWithPath: record.executable).resolvingSymlinksInPath().lastPathComponent
        return URL(fileURLWithPath: exe).lastPathComponent.hasPrefix(expected)
    }

    /// The last `lines` lines of the process's log, to say why it did not come up.
    static func logTail(_ record: LabState.ProcessRecord, lines: Int = 15) -> String {
        guard let data = FileManager.default.contents(atPath: record.logFile) else { return "(no log)" }
        let text = String(decoding: data.suffix(16_384), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Sends `signal`, waits until the process is gone, escalates to SIGKILL after `timeout`.
    static func stop(_ record: LabState.ProcessRecord, signal: Int32 = SIGTERM, timeout: Duration = .seconds(10))
        async
    {
        guard isRunning(record) else { return }
        kill(record.pid, signal)
        if await waitUntilGone(record, timeout: timeout) { return }
        kill(record.pid, SIGKILL)
        _ = await waitUntilGone(record, timeout: .seconds(5))
    }

    static func waitUntilGone(_ record: LabState.ProcessRecord, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning(record) {
            if ContinuousClock.now >= deadline { return false }
            reap(record.pid)
            try? await Task.sleep(for: .milliseconds(20))
        }
        reap(record.pid)
        return true
    }

    /// Collects the exit status of a child of this process, so it does not linger as a zombie.
    private static func reap(_ pid: Int32) {
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }
}
