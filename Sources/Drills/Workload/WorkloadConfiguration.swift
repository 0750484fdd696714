/// How much of each operation the workload offers, as relative weights.
///
/// Logins, sign-ups, password changes and deletions each cost a bcrypt hash on the server (cost 8 in a drill's lab,
/// tens of milliseconds of CPU), so the default keeps them to about a seventh of the requests.
public struct OperationMix: Hashable, Sendable {
    public var weights: [OperationKind: Double]

    public init(_ weights: [OperationKind: Double]) { self.weights = weights }

    /// Mostly profile reads and updates and token refreshes, as a real account service sees.
    public static let standard = OperationMix([
        .readProfile: 40, .updateProfile: 20, .refresh: 16, .logIn: 5, .signUp: 4, .logOut: 6,
        .changePassword: 3, .deleteAccount: 1,
    ])

    /// The kind whose cumulative weight covers `fraction` (0 ≤ fraction < 1) of the total.
    func kind(at fraction: Double) -> OperationKind {
        let kinds = OperationKind.allCases.filter { (weights[$0] ?? 0) > 0 }
        let total = kinds.reduce(0) { $0 + weights[$1]! }
        var remaining = fraction * total
        for kind in kinds {
            remaining -= weights[kind]!
            if remaining < 0 { return kind }
        }
        return kinds.last ?? .readProfile
    }
}

/// The settings of a workload. Every field has a default but the base URL; `validate()` names a bad one.
public struct WorkloadConfiguration: Sendable {
    /// Where requests go: the edge's entry URL in a drill (`http://127.0.0.1:PORT`), no trailing slash.
    public var baseURL: String
    /// Requests offered per second during the open loop, however slowly the system answers.
    public var rate: Double = 50
    /// How long the open loop runs (the warm-up comes before it).
    public var duration: Duration = .seconds(30)
    /// Client locations, sent as `X-Client-Location`; customers are spread evenly over them.
    public var locations: [String] = ["us", "eu", "ap"]
    /// Customers signed up and logged in during the warm-up; sign-ups in the mix add more. A customer sends
    /// one request at a time, so there must be more customers than requests in flight (rate × latency), or
    /// ticks find no idle customer and are shed. Nil: `max(30, rate)`, enough for answers within a second.
    public var customers: Int?
    /// Requests in flight at most; a request that would exceed it is not sent and is recorded as shed.
    public var maxInFlight: Int = 128
    /// A request without an answer by then is abandoned and recorded as indeterminate.
    public var requestTimeout: Duration = .seconds(5)
    /// Sign-ups and logins in flight at once during the warm-up (bcrypt is expensive).
    public var warmUpConcurrency: Int = 8
    public var mix: OperationMix = .standard
    /// Seeds the choice of operations and customers, for a repeatable sequence; random when nil.
    public var seed: UInt64?
    /// Prefix of the customers' e-mail addresses (`drill-<tag>-<n>@example.com`); random when nil.
    public var runTag: String?

    public init(baseURL: String) { self.baseURL = baseURL }

    /// The customers of the warm-up: `customers`, or `max(30, rate)`.
    public var warmUpCustomers: Int { customers ?? max(30, Int(rate.rounded(.up))) }

    /// Requests the open loop offers: `rate` × `duration`, each either sent or recorded as shed.
    public var plannedRequests: Int { Int((duration.seconds * rate).rounded()) }

    /// Rejects a bad value, naming its key.
    public func validate() throws(DrillError) {
        func bad(_ key: String, _ problem: String) -> DrillError { DrillError(.invalidArgument, "\(key): \(problem)") }
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://"), !baseURL.hasSuffix("/") else {
            throw bad("baseURL", "must be an http(s) URL without a trailing slash, not '\(baseURL)'")
        }
        guard rate > 0, rate <= 10_000, rate.isFinite else { throw bad("rate", "must be in 0<rate≤10000, not \(rate)") }
        guard duration > .zero else { throw bad("duration", "must be positive") }
        guard !locations.isEmpty, locations.allSatisfy({ !$0.isEmpty }) else {
            throw bad("locations", "must name at least one location")
        }
        if let customers, customers < 1 { throw bad("customers", "must be at least 1, not \(customers)") }
        guard maxInFlight >= 1 else { throw bad("maxInFlight", "must be at least 1, not \(maxInFlight)") }
        guard requestTimeout > .zero else { throw bad("requestTimeout", "must be positive") }
        guard warmUpConcurrency >= 1 else { throw bad("warmUpConcurrency", "must be at least 1") }
        guard mix.weights.values.allSatisfy({ $0 >= 0 && $0.isFinite }), mix.weights.values.contains(where: { $0 > 0 })
        else { throw bad("mix", "weights must be non-negative and not all zero") }
        if let runTag, runTag.isEmpty || !runTag.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            throw bad("runTag", "must be letters and digits, not '\(runTag)'")
        }
    }
}
