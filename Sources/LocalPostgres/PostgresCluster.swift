import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A PostgreSQL cluster created from the installed programs and run as a child process of this one.
///
/// The postmaster is started directly (not through `pg_ctl`, which daemonizes), so `pid` is the postmaster's own and
/// `stop(mode:)` signals it and waits until `/proc/PID` is gone. When this process runs as root, the server programs
/// run as `configuration.systemUser` through `setpriv`, which execs in place and so keeps that pid.
public final class PostgresCluster: Sendable {
    /// How to shut the server down; each maps to the signal `pg_ctl stop -m` would send.
    public enum StopMode: Sendable {
        /// `SIGTERM`: wait for clients to disconnect.
        case smart
        /// `SIGINT`: end sessions, checkpoint, exit.
        case fast
        /// `SIGQUIT`: exit at once; the next start runs crash recovery.
        case immediate

        var signal: Int32 {
            switch self {
            case .smart: SIGTERM
            case .fast: SIGINT
            case .immediate: SIGQUIT
            }
        }
    }

    /// The configuration this cluster was made with.
    public let configuration: PostgresClusterConfiguration
    let logger: Logger
    private let state: Mutex<State>

    private struct State {
        enum Phase { case stopped, starting, running, stopping }
        var phase: Phase = .stopped
        var port: Int
        var server: Process?
        var watchdog: Process?
        var tools: Tools?
    }

    /// The programs folder and the way to run them, found once per cluster.
    struct Tools: Sendable {
        var binaries: PostgresBinaries
        var runner: ProgramRunner
    }

    /// A cluster for `configuration`; nothing happens on disk until `initialize()` or `start()`.
    public init(
        configuration: PostgresClusterConfiguration,
        logger: Logger = Logger(label: "LocalPostgres")
    ) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: LogKey.dataDirectory] = "\(configuration.dataDirectory)"
        if let name = configuration.clusterName { logger[metadataKey: LogKey.clusterName] = "\(name)" }
        self.logger = logger
        // A free port is picked now so `port` and `url` are valid before `start()`; start picks again if it is taken.
        let port = configuration.port ?? ((try? FreePort.pick(host: configuration.host)) ?? 0)
        self.state = Mutex(State(port: port))
    }

    /// The port the server listens on (or will, once started).
    public var port: Int { state.withLock { $0.port } }

    /// The postmaster's pid while the server runs; `nil` when stopped.
    public var pid: Int32? {
        state.withLock { $0.server?.processIdentifier }
    }

    /// Whether the data directory holds a cluster already (`initialize()` has run).
    public var isInitialized: Bool {
        let versionFile = (configuration.dataDirectory as NSString).appendingPathComponent("PG_VERSION")
        return FileManager.default.fileExists(atPath: versionFile)
    }

    /// The connection URL for the `postgres` database, such as
    /// `postgres://postgres@127.0.0.1:5433/postgres?sslmode=disable`.
    public var url: String { url(database: "postgres") }

    /// The connection URL for `database`, as the superuser, without TLS.
    public func url(database: String) -> String {
        let name = database.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? database
        return "postgres://\(configuration.superuser)@\(configuration.host):\(port)/\(name)?sslmode=disable"
    }

    // MARK: - initdb

    /// Creates the cluster with `initdb` (trust authentication, superuser `configuration.superuser`, UTF-8, C locale).
    ///
    /// The data directory is created if missing; when running as root it is given to the system user, and every
    /// folder above it must be enterable by that user.
    public func initialize() async throws {
        let tools = try await resolveTools()
        let directory = configuration.dataDirectory
        guard !isInitialized else {
            throw PostgresClusterError(
                code: .dataDirectoryUnusable,
                message: "\(directory) already holds a PostgreSQL cluster; start it, or remove the folder first"
            )
        }
        try prepareDirectory(directory, runner: tools.runner)
        var arguments = [
            "-D", directory, "-A", "trust", "-U", configuration.superuser, "-E", "UTF8", "--locale=C",
            "--no-instructions",
        ]
        if configuration.fastAndUnsafe { arguments.append("--no-sync") }
        let started = ContinuousClock.now
        let output = try await tools.runner.run(try tools.binaries.path("initdb"), arguments, asServerUser: true)
        guard output.status == 0 else {
            throw PostgresClusterError(
                code: .initdbFailed,
                message: "initdb -D \(directory) exited with status \(output.status): \(output.diagnostics)"
            )
        }
        logger.debug("initdb done", metadata: [LogKey.duration: "\(ContinuousClock.now - started)"])
    }

    /// Creates `directory` (mode 0700) and, when running as root, gives it to the server user and checks that the
    /// user can reach it.
    func prepareDirectory(_ directory: String, runner: ProgramRunner) throws {
        let files = FileManager.default
        do {
            let parent = (directory as NSString).deletingLastPathComponent
            try files.createDirectory(atPath: parent, withIntermediateDirectories: true)
            if !files.fileExists(atPath: directory) {
                try files.createDirectory(atPath: directory, withIntermediateDirectories: false)
            }
            try files.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
        } catch {
            throw PostgresClusterError(code: .dataDirectoryUnusable, message: "cannot create \(directory): \(error)")
        }
        if let user = runner.user {
            try user.takeOwnership(of: directory)
            try user.checkTraversable(directory)
        }
    }

    func resolveTools() async throws -> Tools {
        if let tools = state.withLock({ $0.tools }) { return tools }
        let tools = Tools(
            binaries: try await PostgresBinaries.locate(configured: configuration.binDirectory),
            runner: try ProgramRunner(systemUser: configuration.systemUser)
        )
        state.withLock { $0.tools = tools }
        return tools
    }

    // MARK: - start

    /// Starts the server and returns once it accepts connections (read-only ones, for a standby).
    ///
    /// Throws `startFailed` with the end of the server log if the server exits or is not ready within
    /// `configuration.startTimeout`. With no fixed port, a port taken meanwhile by someone else is replaced and the
    /// start retried, up to five times.
    public func start() async throws {
        try state.withLock { state in
            guard state.phase == .stopped else {
                throw PostgresClusterError(
                    code: .alreadyRunning,
                    message: "the server in \(configuration.dataDirectory) is already running (pid "
                        + "\(state.server.map { String($0.processIdentifier) } ?? "starting"))"
                )
            }
            state.phase = .starting
        }
        do {
            try await startServer()
        } catch {
            state.withLock {
                $0.phase = .stopped
                $0.server = nil
            }
            throw error
        }
    }

    private func startServer() async throws {
        let tools = try await resolveTools()
        guard isInitialized else {
            throw PostgresClusterError(
                code: .dataDirectoryUnusable,
                message: "\(configuration.dataDirectory) holds no PostgreSQL cluster; call initialize() first"
            )
        }
        let postgres = try tools.binaries.path("postgres")
        let attempts = configuration.port == nil ? 5 : 1
        for attempt in 1...attempts {
            let port = state.withLock { $0.port }
            let (log, logOffset) = try openLog(runner: tools.runner)
            let exit = ServerExit()
            let started = ContinuousClock.now
            let process = try tools.runner.spawn(
                postgres,
                serverArguments(port: port),
                asServerUser: true,
                output: log,
                onExit: { exit.record($0) }
            )
            try? log.close()
            state.withLock { $0.server = process }
            let pid = process.processIdentifier

            switch await waitUntilReady(pid: pid, exit: exit) {
            case .ready:
                var watchdog: Process? = nil
                if configuration.stopWhenParentExits {
                    watchdog = try? ParentWatchdog.start(parent: getpid(), postmaster: pid)
                }
                state.withLock {
                    $0.watchdog = watchdog
                    $0.phase = .running
                }
                logger.info(
                    "postgres started",
                    metadata: [
                        LogKey.port: "\(port)", LogKey.pid: "\(pid)",
                        LogKey.duration: "\(ContinuousClock.now - started)",
                    ]
                )
                return
            case .exited(let status):
                let newLines = readLog(from: logOffset)
                if attempt < attempts, newLines.contains("Address already in use") {
                    logger.debug("port taken, retrying", metadata: [LogKey.port: "\(port)"])
                    let next = try FreePort.pick(host: configuration.host)
                    state.withLock { $0.port = next }
                    continue
                }
                throw PostgresClusterError(
                    code: .startFailed,
                    message: "postgres (port \(port)) exited with status \(status) while starting; "
                        + "log \(configuration.resolvedLogFile): \(logTail(newLines))"
                )
            case .timedOut, .cancelled:
                // Do not leave a half-started server behind.
                kill(pid, SIGQUIT)
                if !(await ProcessLiveness.waitUntilGone(pid, timeout: .seconds(5))) {
                    kill(pid, SIGKILL)
                    _ = await ProcessLiveness.waitUntilGone(pid, timeout: .seconds(5))
                }
                if Task.isCancelled { throw CancellationError() }
                throw PostgresClusterError(
                    code: .startFailed,
                    message: "postgres (port \(port), pid \(pid)) was not ready after \(configuration.startTimeout); "
                        + "log \(configuration.resolvedLogFile): \(logTail(readLog(from: logOffset)))"
                )
            }
        }
    }

    /// The postgres command line. Per-server settings go here rather than into the configuration files, which
    /// `pg_basebackup` and `pg_rewind` copy from one server to another.
    func serverArguments(port: Int) -> [String] {
        var settings: [String: String] = [
            "listen_addresses": configuration.host,
            // TCP only: no socket file, so nothing depends on /var/run/postgresql or socket path length limits.
            "unix_socket_directories": "",
            // pg_rewind needs hint bits WAL-logged on the old primary from the start.
            "wal_log_hints": "on",
        ]
        if let name = configuration.clusterName { settings["cluster_name"] = name }
        if configuration.fastAndUnsafe {
            settings["fsync"] = "off"
            settings["synchronous_commit"] = "off"
        }
        settings.merge(configuration.settings) { _, given in given }
        var arguments = ["-D", configuration.dataDirectory, "-p", String(port)]
        for key in settings.keys.sorted() {
            arguments += ["-c", "\(key)=\(settings[key]!)"]
        }
        return arguments
    }

    private enum Readiness {
        case ready
        case exited(Int32)
        case timedOut, cancelled
    }

    /// Polls `postmaster.pid` the way `pg_ctl start -w` does: ready when it names our pid and its status line says
    /// `ready` (primary) or `standby` (hot standby accepting read-only connections).
    private func waitUntilReady(pid: Int32, exit: ServerExit) async -> Readiness {
        let deadline = ContinuousClock.now + configuration.startTimeout
        let pidFile = (configuration.dataDirectory as NSString).appendingPathComponent("postmaster.pid")
        while true {
            if let status = exit.status { return .exited(status) }
            if let contents = try? String(contentsOfFile: pidFile, encoding: .utf8) {
                let lines = contents.split(separator: "\n", omittingEmptySubsequences: false)
                if lines.count >= 8, lines[0] == "\(pid)" {
                    let status = lines[7].trimmingCharacters(in: .whitespaces)
                    if status == "ready" || status == "standby" { return .ready }
                }
            }
            if ContinuousClock.now >= deadline { return .timedOut }
            do {
                try await Task.sleep(for: .milliseconds(10))
            } catch {
                return .cancelled
            }
        }
    }

    // MARK: - log

    /// Opens the log for appending (creating it, owned by the server user), returning where this run's lines begin.
    private func openLog(runner: ProgramRunner) throws -> (handle: FileHandle, offset: UInt64) {
        let path = configuration.resolvedLogFile
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw PostgresClusterError(code: .startFailed, message: "cannot create the log file \(path)")
            }
            // pg_rewind overwrites files in the data folder as the server user, the log included.
            try runner.user?.takeOwnership(of: path)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw PostgresClusterError(code: .startFailed, message: "cannot open the log file \(path)")
        }
        let offset = (try? handle.seekToEnd()) ?? 0
        return (handle, offset)
    }

    func readLog(from offset: UInt64) -> String {
        guard let handle = FileHandle(forReadingAtPath: configuration.resolvedLogFile) else { return "" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let data = (try? handle.readToEnd()) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The last 20 lines of `text`, joined into one line.
    func logTail(_ text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline).suffix(20)
        return lines.isEmpty ? "(empty)" : lines.joined(separator: " | ")
    }

    // MARK: - stop

    /// Stops the server: sends the mode's signal to the postmaster and waits until its process is gone (not just
    /// exited: a zombie postmaster still blocks a restart). After `configuration.stopTimeout` it escalates to an
    /// immediate shutdown, then to `SIGKILL`. Stopping a stopped cluster does nothing.
    public func stop(mode: StopMode = .fast) async throws {
        let taken = state.withLock { state -> (server: Process, watchdog: Process?)? in
            guard state.phase == .running, let server = state.server else { return nil }
            state.phase = .stopping
            return (server, state.watchdog)
        }
        guard let (server, watchdog) = taken else { return }
        let pid = server.processIdentifier
        let started = ContinuousClock.now
        defer {
            if let watchdog { kill(watchdog.processIdentifier, SIGKILL) }
            state.withLock {
                $0.phase = .stopped
                $0.server = nil
                $0.watchdog = nil
            }
        }
        kill(pid, mode.signal)
        if await ProcessLiveness.waitUntilGone(pid, timeout: configuration.stopTimeout) {
            logger.info(
                "postgres stopped",
                metadata: [LogKey.pid: "\(pid)", LogKey.duration: "\(ContinuousClock.now - started)"]
            )
            return
        }
        logger.warning("postgres did not stop in time, escalating", metadata: [LogKey.pid: "\(pid)"])
        if mode != .immediate {
            kill(pid, SIGQUIT)
            if await ProcessLiveness.waitUntilGone(pid, timeout: .seconds(5)) { return }
        }
        kill(pid, SIGKILL)
        if await ProcessLiveness.waitUntilGone(pid, timeout: .seconds(5)) { return }
        throw PostgresClusterError(
            code: .stopTimeout,
            message: "postgres pid \(pid) (\(configuration.dataDirectory)) is still there after SIGKILL"
        )
    }
}

/// The exit status of a started server, recorded by the process's termination handler.
private final class ServerExit: Sendable {
    private let value = Mutex<Int32?>(nil)

    func record(_ status: Int32) { value.withLock { $0 = status } }

    var status: Int32? { value.withLock { $0 } }
}
