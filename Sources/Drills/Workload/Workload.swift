import AsyncHTTPClient
import Foundation
import Logging
import Synchronization

/// The drill's client: simulated customers in several locations sending a realistic mix of account requests
/// through one base URL (the edge), open-loop, and recording every request in a `DrillHistory`.
///
/// Open-loop means that requests are scheduled at the configured rate whatever the answers do: a slow system
/// does not slow the offered load. A request that would exceed `maxInFlight` is not sent and is recorded as
/// shed. `run()` first signs up and logs in `customers` customers (the warm-up), then runs the open loop for
/// `duration` or until `stop()`, waits for the requests in flight (each bounded by `requestTimeout`) and
/// returns the history.
public final class Workload<C: Clock>: Sendable where C.Duration == Duration {
    public let configuration: WorkloadConfiguration
    private let clock: C
    private let state: WorkloadState<C>
    private let httpClient: HTTPClient?
    private let logger: Logger
    private let stopRequested = Mutex(false)
    private let hasRun = Mutex(false)

    /// A workload reading time from `clock`. Without `httpClient` it makes its own (with a connection pool as
    /// large as `maxInFlight`) and shuts it down at the end; a given client must allow as many connections.
    public init(
        configuration: WorkloadConfiguration, clock: C, httpClient: HTTPClient? = nil,
        logger: Logger = Logger(label: "drill-workload")
    ) throws(DrillError) {
        try configuration.validate()
        self.configuration = configuration
        self.clock = clock
        self.state = WorkloadState(configuration: configuration, clock: clock)
        self.httpClient = httpClient
        self.logger = logger
    }

    /// Runs the warm-up and the open loop, and returns the history. Throws only when called a second time, or
    /// when the warm-up could sign up no customer at all (the base URL is wrong, or the system is down).
    public func run() async throws -> DrillHistory {
        let firstRun = hasRun.withLock { ran in
            defer { ran = true }
            return !ran
        }
        guard firstRun else {
            throw DrillError(.invalidArgument, "a workload runs once; make a new one for another run")
        }
        let client = httpClient ?? Self.makeClient(configuration)
        let portal = PortalClient(http: client, baseURL: configuration.baseURL, timeout: configuration.requestTimeout)
        await state.begin()
        do {
            try await warmUp(portal)
            try await openLoop(portal)
        } catch {
            _ = await state.finish()
            if httpClient == nil { try? await client.shutdown() }
            throw error
        }
        let history = await state.finish()
        if httpClient == nil { try await client.shutdown() }
        return history
    }

    /// Ends the open loop early; `run()` returns once the requests in flight are answered or time out.
    public func stop() {
        stopRequested.withLock { $0 = true }
    }

    /// Seconds since the drill's start (0 before `run()`).
    public func elapsed() async -> Double { await state.now() }

    /// The wall-clock time of the drill's second 0 (valid once `run()` has begun).
    public func startedAt() async -> Date { await state.startedAt }

    /// Waits until the warm-up is over and the open loop begins; its drill time, or nil if the run ended first.
    public func openLoopStarted() async -> Double? { await state.openLoopStarted() }

    /// Waits for the first successful write (or read) sent at or after drill time `time`, for a live RTO; nil
    /// when the run ends without one.
    public func firstSuccess(sentAfter time: Double, write: Bool) async -> DrillOperation? {
        await state.firstSuccess(sentAfter: time, write: write)
    }

    /// Counts so far, for a progress line.
    public func progress() async -> WorkloadProgress { await state.currentProgress() }

    private var isStopped: Bool { stopRequested.withLock { $0 } }

    private func warmUp(_ portal: PortalClient) async throws {
        let state = self.state
        await withTaskGroup(of: Void.self) { group in
            var started = 0
            func startOne() {
                started += 1
                group.addTask {
                    let signUp = await state.planSignUp()
                    let index = signUp.operation.client
                    await state.complete(signUp, await portal.send(signUp))
                    if let logIn = await state.planLogIn(customer: index) {
                        await state.complete(logIn, await portal.send(logIn))
                    }
                }
            }
            while started < min(configuration.warmUpConcurrency, configuration.warmUpCustomers) { startOne() }
            while await group.next() != nil {
                if started < configuration.warmUpCustomers && !isStopped { startOne() }
            }
        }
        let customers = await state.signedUpCustomers
        logger.info("warm-up done", metadata: [DrillLogKey.customers: "\(customers)"])
        if customers == 0 {
            let reason = await state.firstError ?? "no answer"
            throw DrillError(
                .invalidArgument, "\(configuration.baseURL) accepted no sign-up during the warm-up (\(reason))")
        }
    }

    private func openLoop(_ portal: PortalClient) async throws {
        let state = self.state
        await state.beginOpenLoop()
        let begin = clock.now
        let interval = Duration.seconds(1 / configuration.rate)
        let ticks = configuration.plannedRequests
        logger.info(
            "open loop",
            metadata: [DrillLogKey.rate: "\(configuration.rate)", DrillLogKey.baseURL: "\(configuration.baseURL)"])
        await withDiscardingTaskGroup { group in
            var tick = 0
            while tick < ticks && !isStopped && !Task.isCancelled {
                // A missed tick is sent at once: the load does not wait for the system.
                try? await clock.sleep(until: begin.advanced(by: interval * tick), tolerance: nil)
                if isStopped { break }
                tick += 1
                let kind = configuration.mix.kind(at: await state.nextFraction())
                guard let request = await state.plan(kind) else { continue }
                group.addTask { await state.complete(request, await portal.send(request)) }
            }
        }
        let sent = await state.currentProgress().sent
        logger.info("open loop ended", metadata: [DrillLogKey.sent: "\(sent)"])
    }

    static func makeClient(_ configuration: WorkloadConfiguration) -> HTTPClient {
        var settings = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(2)))
        settings.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = configuration.maxInFlight
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
    }
}

extension Workload where C == ContinuousClock {
    /// A workload on the real clock.
    public convenience init(
        configuration: WorkloadConfiguration, httpClient: HTTPClient? = nil,
        logger: Logger = Logger(label: "drill-workload")
    ) throws(DrillError) {
        try self.init(configuration: configuration, clock: ContinuousClock(), httpClient: httpClient, logger: logger)
    }
}

extension PortalClient {
    /// Sends a planned request.
    func send(_ request: PlannedRequest) async -> Result<Reply, NoAnswer> {
        await send(
            request.method, request.path, body: request.body, bearer: request.bearer,
            location: request.operation.location, consistencyToken: request.consistencyToken)
    }
}
