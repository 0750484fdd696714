import Foundation
import Testing

@testable import LocalPostgres

#if canImport(Glibc)
    import Glibc
#endif

@Suite("ParentWatchdog")
struct ParentWatchdogTests {
    /// Starts `sleep 30` as a stand-in process.
    private func sleeper() throws -> Process {
        try ProgramRunner.asCurrentUser.spawn("/bin/sleep", ["30"], asServerUser: false, output: nil, onExit: { _ in })
    }

    @Test func watchdogInterruptsThePostmasterWhenTheParentExits() async throws {
        let parent = try sleeper()
        let postmaster = try sleeper()
        let watchdog = try ParentWatchdog.start(
            parent: parent.processIdentifier, postmaster: postmaster.processIdentifier)
        defer {
            kill(postmaster.processIdentifier, SIGKILL)
            kill(watchdog.processIdentifier, SIGKILL)
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(processExists(postmaster.processIdentifier))

        kill(parent.processIdentifier, SIGKILL)
        #expect(await eventually(timeout: .seconds(10)) { !processExists(postmaster.processIdentifier) })
        #expect(postmaster.terminationReason == .uncaughtSignal)
        #expect(postmaster.terminationStatus == SIGINT)
        #expect(await eventually(timeout: .seconds(10)) { !processExists(watchdog.processIdentifier) })
    }

    @Test func watchdogExitsByItselfWhenThePostmasterGoesFirst() async throws {
        let postmaster = try sleeper()
        let watchdog = try ParentWatchdog.start(parent: getpid(), postmaster: postmaster.processIdentifier)
        defer { kill(watchdog.processIdentifier, SIGKILL) }
        kill(postmaster.processIdentifier, SIGKILL)
        #expect(await eventually(timeout: .seconds(10)) { !processExists(watchdog.processIdentifier) })
    }
}
