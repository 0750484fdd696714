import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a program that ran to completion printed, and how it exited.
struct ProgramOutput: Sendable {
    var status: Int32
    var standardOutput: String
    var standardError: String

    /// Standard error, or standard output when that is empty, as one line; for error messages.
    var diagnostics: String {
        let text = standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) : text
    }
}

/// Runs PostgreSQL programs, as the unprivileged server user when this process is root.
struct ProgramRunner: Sendable {
    /// The user to switch to for server-side programs; `nil` runs everything as ourselves.
    var user: SystemUser?
    /// Path of `setpriv`, needed only when `user` is set.
    var setpriv: String?

    /// Runs everything as ourselves: for client programs, and for everything when we are not root.
    static let asCurrentUser = ProgramRunner(user: nil, setpriv: nil)

    init(user: SystemUser?, setpriv: String?) {
        self.user = user
        self.setpriv = setpriv
    }

    /// Switches to `systemUser` for server-side programs if, and only if, this process is root.
    init(systemUser: String) throws {
        self.user = try SystemUser.forPostgres(named: systemUser)
        if user != nil {
            guard let setpriv = Self.findInPath("setpriv", extra: ["/usr/bin", "/bin", "/usr/sbin"]) else {
                throw PostgresClusterError(
                    code: .binariesNotFound,
                    message: "running as root needs setpriv (util-linux) to run PostgreSQL as \(systemUser); "
                        + "it is not in PATH"
                )
            }
            self.setpriv = setpriv
        }
    }

    /// The environment for child programs: ours, without `PG*` variables, so a stray `PGDATA`, `PGOPTIONS` or
    /// `PGSSLMODE` cannot change what the explicit command line says.
    static let environment: [String: String] = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }

    /// `executable arguments`, prefixed with the switch to the server user when `asServerUser` and running as root.
    func commandLine(_ executable: String, _ arguments: [String], asServerUser: Bool) -> [String] {
        if asServerUser, let user, let setpriv {
            return user.commandPrefix(setpriv: setpriv) + [executable] + arguments
        }
        return [executable] + arguments
    }

    /// Runs a program to completion and collects its output; throws only when it cannot be started.
    func run(_ executable: String, _ arguments: [String], asServerUser: Bool) async throws -> ProgramOutput {
        let line = commandLine(executable, arguments, asServerUser: asServerUser)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: line[0])
        process.arguments = Array(line.dropFirst())
        process.environment = Self.environment
        // Server-side programs must not inherit a working folder their user cannot read (initdb warns about it).
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        let output = Pipe()
        let error = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = error
        let collected = CollectedOutput()

        return try await withCheckedThrowingContinuation { continuation in
            let group = DispatchGroup()
            group.enter()
            process.terminationHandler = { _ in group.leave() }
            do {
                try Self.launch(process)
            } catch {
                continuation.resume(
                    throwing: PostgresClusterError(
                        code: .commandFailed,
                        message: "cannot run \(line[0]): \(error)"
                    )
                )
                return
            }
            // Both pipes are drained concurrently, so a program that fills one while we read the other cannot block.
            for (pipe, isError) in [(output, false), (error, true)] {
                group.enter()
                DispatchQueue.global().async {
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    collected.store(data, isError: isError)
                    group.leave()
                }
            }
            group.notify(queue: .global()) {
                let (out, err) = collected.strings()
                continuation.resume(
                    returning: ProgramOutput(status: process.terminationStatus, standardOutput: out, standardError: err)
                )
            }
        }
    }

    /// Starts a long-running program with stdout and stderr going to `output`; the pid is the program's own.
    func spawn(
        _ executable: String,
        _ arguments: [String],
        asServerUser: Bool,
        output: FileHandle?,
        onExit: @escaping @Sendable (Int32) -> Void
    ) throws -> Process {
        let line = commandLine(executable, arguments, asServerUser: asServerUser)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: line[0])
        process.arguments = Array(line.dropFirst())
        process.environment = Self.environment
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = output ?? FileHandle.nullDevice
        process.terminationHandler = { onExit($0.terminationStatus) }
        do {
            try Self.launch(process)
        } catch {
            throw PostgresClusterError(code: .startFailed, message: "cannot run \(line[0]): \(error)")
        }
        return process
    }

    /// Starts `process` with no signals blocked. Foundation spawns children with the calling thread's signal mask,
    /// and threads of the concurrency pool block nearly every signal: a child would then ignore `SIGINT` and
    /// `SIGTERM` (postgres resets its mask, but `sh`, `psql` and `pg_basebackup` do not). The mask is lifted only for
    /// the synchronous spawn, so no other task runs on this thread meanwhile.
    static func launch(_ process: Process) throws {
        var unblocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&unblocked)
        pthread_sigmask(SIG_SETMASK, &unblocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
    }

    /// The first executable `name` in `PATH` or the `extra` folders.
    static func findInPath(_ name: String, extra: [String] = []) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + extra
        for folder in folders where !folder.isEmpty {
            let candidate = (folder as NSString).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }
}

/// The bytes read from a program's two output pipes, written from two reader threads.
private final class CollectedOutput: Sendable {
    private let data = Mutex<(output: Data, error: Data)>((Data(), Data()))

    func store(_ bytes: Data, isError: Bool) {
        data.withLock {
            if isError { $0.error = bytes } else { $0.output = bytes }
        }
    }

    func strings() -> (String, String) {
        data.withLock {
            (String(decoding: $0.output, as: UTF8.self), String(decoding: $0.error, as: UTF8.self))
        }
    }
}
