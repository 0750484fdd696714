import Foundation
import LocalPostgres

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to its end without blocking a thread of the test process: Swift Testing runs every suite on
/// the cooperative pool, which has one thread per core, so a `waitUntilExit()` or a blocking pipe read there
/// stalls every portal, edge and probe in the process for as long as the program runs (CI: health probes and
/// database queries of unrelated tests timed out while a runbook command ran).
enum ChildProgram {
    /// `executable arguments` to its end (killed by pid after `limit`): its exit status (nil when another
    /// waiter collected it first), standard output and standard error. Waits by polling, not by a termination
    /// handler: in a test process full of children, an exit notice was seen to go missing (CI hung once), so a
    /// child that is gone or a zombie has exited. Output goes to files, so a child that prints more than a pipe
    /// holds cannot block.
    static func run(_ executable: String, _ arguments: [String], limit: Duration) async throws
        -> (status: Int32?, output: String, errors: String)
    {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outputFile = folder.appendingPathComponent("stdout")
        let errorFile = folder.appendingPathComponent("stderr")
        for file in [outputFile, errorFile] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let output = try FileHandle(forWritingTo: outputFile)
        let errors = try FileHandle(forWritingTo: errorFile)
        defer {
            try? output.close()
            try? errors.close()
        }
        process.standardOutput = output
        process.standardError = errors
        try PostgresTools.launch(process)
        let pid = process.processIdentifier
        let deadline = ContinuousClock.now + limit
        while process.isRunning, !exited(pid) {
            guard ContinuousClock.now < deadline else {
                kill(pid, SIGKILL)
                throw TestFailure(
                    "\(URL(fileURLWithPath: executable).lastPathComponent) did not finish within \(limit)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        // A zombie is reaped by Foundation's monitor a moment later, and only then is its status known.
        let reaped = ContinuousClock.now + .seconds(2)
        while process.isRunning, ContinuousClock.now < reaped { try await Task.sleep(for: .milliseconds(10)) }
        let status: Int32? = process.isRunning ? nil : process.terminationStatus
        return (
            status, (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "",
            (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        )
    }

    /// Whether `pid` is gone or a zombie.
    static func exited(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }
}
