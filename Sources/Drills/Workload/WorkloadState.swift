import Failover
import Foundation

/// A request the workload decided to send: its record so far, and what goes on the wire.
struct PlannedRequest: Sendable {
    var operation: DrillOperation
    var method: PortalClient.Method
    var path: String
    var body: [String: String]?
    var bearer: String?
    var consistencyToken: String?
}

/// Counts of a running workload, for a live progress line.
public struct WorkloadProgress: Hashable, Sendable {
    /// Seconds since the drill's start.
    public var elapsed: Double
    public var sent = 0
    public var ok = 0
    public var failed = 0
    public var indeterminate = 0
    public var shed = 0
    public var inFlight = 0
    /// Customers signed up so far.
    public var customers = 0
}

/// The customers, the history and the bound on requests in flight, behind one actor: the scheduler plans
/// requests here, and every answer comes back here.
actor WorkloadState<C: Clock> where C.Duration == Duration {
    private let configuration: WorkloadConfiguration
    private let clock: C
    private let runTag: String
    private var random: SplitMix64
    private var start: C.Instant?
    private var customers: [SimulatedCustomer] = []
    private var history: [DrillOperation] = []
    private var progress = WorkloadProgress(elapsed: 0)
    private var finished = false
    private var successWaiters:
        [(after: Double, write: Bool, continuation: CheckedContinuation<DrillOperation?, Never>)] = []
    private var openLoopStart: Double?
    private var openLoopWaiters: [CheckedContinuation<Double?, Never>] = []
    private(set) var startedAt = DrillJSON.normalized(Date())

    init(configuration: WorkloadConfiguration, clock: C) {
        self.configuration = configuration
        self.clock = clock
        self.runTag =
            configuration.runTag
            ?? String(UInt64.random(in: 0..<(1 << 32)), radix: 16).padding(toLength: 8, withPad: "0", startingAt: 0)
        self.random = SplitMix64(seed: configuration.seed ?? UInt64.random(in: .min ... .max))
    }

    // MARK: Time

    func begin() {
        start = clock.now
        startedAt = DrillJSON.normalized(Date())
    }

    /// Seconds since `begin()`.
    func now() -> Double {
        guard let start else { return 0 }
        return start.duration(to: clock.now).seconds
    }

    func beginOpenLoop() {
        let time = now()
        openLoopStart = time
        for waiter in openLoopWaiters { waiter.resume(returning: time) }
        openLoopWaiters = []
    }

    func openLoopStarted() async -> Double? {
        if let openLoopStart { return openLoopStart }
        if finished { return nil }
        return await withCheckedContinuation { openLoopWaiters.append($0) }
    }

    // MARK: Planning

    /// A fraction in 0..<1 from the seeded generator, for the mix.
    func nextFraction() -> Double { Double(random.next() >> 11) / Double(1 << 53) }

    /// Plans a request of `kind` for an idle customer that can send it; falls back to a login, then sheds.
    /// A sign-up makes a new customer.
    func plan(_ kind: OperationKind) -> PlannedRequest? {
        guard progress.inFlight < configuration.maxInFlight else {
            shed(kind, reason: "in-flight limit (\(configuration.maxInFlight))")
            return nil
        }
        if kind == .signUp { return planSignUp() }
        for candidate in [kind, .logIn] {
            if let index = pickCustomer(for: candidate) {
                var chosen = candidate
                // An access token past half its life is refreshed first, as a real client does.
                if chosen != .logIn, let session = customers[index].session, now() >= session.refreshAfter {
                    chosen = .refresh
                }
                return plan(chosen, customer: index)
            }
        }
        shed(kind, reason: "no idle customer")
        return nil
    }

    /// A sign-up of a new customer.
    func planSignUp() -> PlannedRequest {
        let id = customers.count
        let location = configuration.locations[id % configuration.locations.count]
        customers.append(SimulatedCustomer(id: id, location: location, email: "drill-\(runTag)-\(id)@example.com"))
        return plan(.signUp, customer: id)
    }

    /// A login of a customer that has just signed up (the warm-up), if it can.
    func planLogIn(customer index: Int) -> PlannedRequest? {
        guard customers[index].isEligible(for: .logIn, at: now()) else { return nil }
        return plan(.logIn, customer: index)
    }

    private func pickCustomer(for kind: OperationKind) -> Int? {
        let time = now()
        let eligible = customers.indices.filter { customers[$0].isEligible(for: kind, at: time) }
        guard !eligible.isEmpty else { return nil }
        let location = configuration.locations[Int(random.next() % UInt64(configuration.locations.count))]
        let local = eligible.filter { customers[$0].location == location }
        let pool = local.isEmpty ? eligible : local
        return pool[Int(random.next() % UInt64(pool.count))]
    }

    private func plan(_ kind: OperationKind, customer index: Int) -> PlannedRequest {
        customers[index].busy = true
        progress.inFlight += 1
        progress.sent += 1
        let customer = customers[index]
        var operation = DrillOperation(
            id: takeID(), client: customer.id, location: customer.location, kind: kind, email: customer.email,
            sent: now())
        let session = customer.session
        operation.refreshToken = session?.refreshToken
        var request = PlannedRequest(
            operation: operation, method: .get, path: "/v1/me", bearer: session?.accessToken,
            consistencyToken: customer.consistencyToken)
        switch kind {
        case .signUp:
            let password = SimulatedCustomer.newPassword()
            request.operation.password = password
            request.operation.displayName = "Customer \(customer.id)"
            request.method = .post
            request.path = "/v1/accounts"
            request.body = ["email": customer.email, "password": password, "displayName": "Customer \(customer.id)"]
            customers[index].password = password
        case .logIn:
            request.operation.password = customer.password
            request.method = .post
            request.path = "/v1/sessions"
            request.body = ["email": customer.email, "password": customer.password ?? ""]
            request.bearer = nil
        case .refresh:
            request.method = .post
            request.path = "/v1/sessions/refresh"
            request.body = ["refreshToken": session?.refreshToken ?? ""]
            request.bearer = nil
        case .readProfile:
            break
        case .updateProfile:
            let name = "Customer \(customer.id) v\(request.operation.id)"
            request.operation.displayName = name
            request.method = .patch
            request.body = ["displayName": name]
        case .changePassword:
            let password = SimulatedCustomer.newPassword()
            request.operation.password = password
            request.operation.previousPassword = customer.password
            request.method = .post
            request.path = "/v1/me/password"
            request.body = ["currentPassword": customer.password ?? "", "newPassword": password]
        case .logOut:
            request.method = .delete
            request.path = "/v1/sessions/current"
        case .deleteAccount:
            request.operation.previousPassword = customer.password
            request.method = .delete
            request.body = ["password": customer.password ?? ""]
        }
        return request
    }

    private var issuedIDs = 0

    private func takeID() -> Int {
        defer { issuedIDs += 1 }
        return issuedIDs
    }

    private func shed(_ kind: OperationKind, reason: String) {
        let location = configuration.locations[Int(random.next() % UInt64(configuration.locations.count))]
        let operation = DrillOperation(
            id: takeID(), client: -1, location: location, kind: kind, email: "", sent: now(), outcome: .shed,
            error: reason)
        progress.shed += 1
        history.append(operation)
    }

    // MARK: Answers

    /// Records the answer (or its absence) and updates the customer.
    func complete(_ request: PlannedRequest, _ result: Result<PortalClient.Reply, PortalClient.NoAnswer>) {
        var operation = request.operation
        let time = now()
        var reply: PortalClient.Reply?
        switch result {
        case .success(let answer):
            reply = answer
            operation.answered = time
            operation.status = answer.status
            operation.region = answer.region
            operation.error = answer.problem
            operation.outcome = Outcome.classify(
                status: answer.status, problem: answer.problem, isWrite: operation.kind.isWrite)
            if operation.outcome == .ok {
                switch operation.kind {
                case .signUp: operation.accountID = answer["id"]
                case .readProfile:
                    operation.accountID = answer["id"]
                    operation.displayName = answer["displayName"]
                case .logIn, .refresh: operation.newRefreshToken = answer["refreshToken"]
                default: break
                }
            }
        case .failure(let failure):
            operation.outcome = .indeterminate
            operation.error = failure.reason
        }
        customers[operation.client].learn(from: operation, reply: reply, now: time)
        progress.inFlight -= 1
        switch operation.outcome {
        case .ok: progress.ok += 1
        case .failed: progress.failed += 1
        case .indeterminate: progress.indeterminate += 1
        case .shed: progress.shed += 1
        }
        history.append(operation)
        if operation.outcome == .ok { wakeWaiters(for: operation) }
    }

    // MARK: Watching

    /// The first success of a request sent at or after `time` (a write, or a read), once it is answered; nil
    /// when the workload ends without one.
    func firstSuccess(sentAfter time: Double, write: Bool) async -> DrillOperation? {
        if let done = history.filter({ Self.matches($0, after: time, write: write) }).min(by: {
            $0.answered! < $1.answered!
        }) {
            return done
        }
        if finished { return nil }
        return await withCheckedContinuation { successWaiters.append((time, write, $0)) }
    }

    private static func matches(_ operation: DrillOperation, after time: Double, write: Bool) -> Bool {
        operation.outcome == .ok && operation.sent >= time && operation.kind.isWrite == write
    }

    private func wakeWaiters(for operation: DrillOperation) {
        successWaiters.removeAll { waiter in
            guard Self.matches(operation, after: waiter.after, write: waiter.write) else { return false }
            waiter.continuation.resume(returning: operation)
            return true
        }
    }

    func currentProgress() -> WorkloadProgress {
        var snapshot = progress
        snapshot.elapsed = now()
        snapshot.customers = customers.count { $0.signedUp }
        return snapshot
    }

    /// Ends the run: wakes every waiter, and returns the history in the order requests were sent.
    func finish() -> DrillHistory {
        finished = true
        for waiter in successWaiters { waiter.continuation.resume(returning: nil) }
        successWaiters = []
        for waiter in openLoopWaiters { waiter.resume(returning: nil) }
        openLoopWaiters = []
        return DrillHistory(startedAt: startedAt, operations: history.sorted { $0.id < $1.id })
    }

    var signedUpCustomers: Int { customers.count { $0.signedUp } }
    var firstError: String? {
        history.first { $0.outcome != .ok && $0.outcome != .shed }.map {
            "\($0.kind.rawValue) answered \($0.status.map(String.init) ?? "nothing") \($0.error ?? "")"
        }
    }
}
