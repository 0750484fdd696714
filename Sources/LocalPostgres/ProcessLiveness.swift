import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whether a process still exists, and waiting for it to go away.
enum ProcessLiveness {
    /// Whether `pid` exists. On Linux this checks `/proc/PID`, which stays until the process is reaped: a killed
    /// postmaster can linger as a zombie for a while, and its data folder is not free until it is gone.
    static func exists(_ pid: Int32) -> Bool {
        #if os(Linux)
            return FileManager.default.fileExists(atPath: "/proc/\(pid)")
        #else
            return kill(pid, 0) == 0 || errno == EPERM
        #endif
    }

    /// Waits until `pid` is gone or `timeout` passes; true when it is gone. Not cancellable: stopping must finish.
    static func waitUntilGone(_ pid: Int32, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while exists(pid) {
            if ContinuousClock.now >= deadline { return false }
            await sleepIgnoringCancellation(milliseconds: 10)
        }
        return true
    }

    /// Sleeps even in a cancelled task (where `Task.sleep` returns at once and a polling loop would spin).
    static func sleepIgnoringCancellation(milliseconds: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
                continuation.resume()
            }
        }
    }
}
