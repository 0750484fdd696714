import Histogram

/// Latency percentiles of successful requests, in milliseconds, from an HDR histogram (3 significant digits).
public struct LatencySummary: Codable, Hashable, Sendable {
    public var count: Int
    public var p50: Double
    public var p99: Double
    public var max: Double

    /// The summary of a histogram of microseconds; nil when it is empty.
    init?(_ histogram: Histogram<UInt64>) {
        guard histogram.totalCount > 0 else { return nil }
        count = Int(histogram.totalCount)
        p50 = Double(histogram.valueAtPercentile(50)) / 1000
        p99 = Double(histogram.valueAtPercentile(99)) / 1000
        max = Double(histogram.max) / 1000
    }
}

/// Request counts and latency of a set of requests.
public struct RequestCounts: Codable, Hashable, Sendable {
    /// Requests sent (shed ones are not sent).
    public var sent = 0
    public var ok = 0
    /// Definite failures.
    public var failed = 0
    /// Requests without a conclusive answer.
    public var indeterminate = 0
    /// Requests the client did not send because of its bound on requests in flight.
    public var shed = 0
    /// Answered requests by the region that served them (`X-Served-By-Region`; `unknown` without the header).
    public var regions: [String: Int] = [:]
    /// Latency of the successful ones.
    public var latency: LatencySummary?

    public init() {}

    /// Failed and indeterminate requests.
    public var errors: Int { failed + indeterminate }
    /// Errors per request sent, 0 to 1.
    public var errorRate: Double { sent == 0 ? 0 : Double(errors) / Double(sent) }

    enum CodingKeys: String, CodingKey {
        case sent, ok, failed, indeterminate, shed, regions, latency, errors, errorRate
    }

    /// Reads the counts; `errors` and `errorRate` are derived, so they are written but not read.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sent = try container.decode(Int.self, forKey: .sent)
        ok = try container.decode(Int.self, forKey: .ok)
        failed = try container.decode(Int.self, forKey: .failed)
        indeterminate = try container.decode(Int.self, forKey: .indeterminate)
        shed = try container.decode(Int.self, forKey: .shed)
        regions = try container.decode([String: Int].self, forKey: .regions)
        latency = try container.decodeIfPresent(LatencySummary.self, forKey: .latency)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sent, forKey: .sent)
        try container.encode(ok, forKey: .ok)
        try container.encode(failed, forKey: .failed)
        try container.encode(indeterminate, forKey: .indeterminate)
        try container.encode(shed, forKey: .shed)
        try container.encode(regions, forKey: .regions)
        try container.encodeIfPresent(latency, forKey: .latency)
        try container.encode(errors, forKey: .errors)
        try container.encode(errorRate, forKey: .errorRate)
    }

    mutating func count(_ operation: DrillOperation, into histogram: inout Histogram<UInt64>) {
        switch operation.outcome {
        case .shed:
            shed += 1
            return
        case .ok: ok += 1
        case .failed: failed += 1
        case .indeterminate: indeterminate += 1
        }
        sent += 1
        if operation.answered != nil { regions[operation.region ?? "unknown", default: 0] += 1 }
        if operation.outcome == .ok, let latency = operation.latency {
            histogram.record(UInt64(max(0, latency * 1_000_000).rounded()))
        }
    }
}

/// One second of the drill: the requests sent in it and what became of them.
public struct SecondMeasures: Codable, Hashable, Sendable {
    /// Seconds since the drill's start: this bucket holds requests sent in [second, second + 1).
    public var second: Int
    public var requests: RequestCounts
}

/// How long after the fault the first request of a kind succeeded.
public struct Recovery: Codable, Hashable, Sendable {
    /// Fault → the answer of the first success among requests sent after the fault, in seconds.
    public var seconds: Double
    /// That request's id in the history.
    public var operation: Int
}

/// The drill's figures (DESIGN.md §6): per-second requests, errors, latency and traffic share by region, and
/// detection time and RTO for writes and reads.
public struct DrillMeasures: Codable, Hashable, Sendable {
    /// Seconds of the history, one entry per second from 0, empty seconds included.
    public var seconds: [SecondMeasures]
    public var total: RequestCounts
    /// Totals by operation kind.
    public var byOperation: [String: RequestCounts]
    /// When the fault was injected; nil without a fault.
    public var faultTime: Double?
    /// Fault → region declared down, in seconds.
    public var detectionSeconds: Double?
    /// RTO for writes and for reads; nil when there was no fault or nothing succeeded after it.
    public var writeRecovery: Recovery?
    public var readRecovery: Recovery?
    /// Writes' RTO by `sustainedRecovery` (nil in reports from before it was measured).
    public var sustainedWriteRecovery: Recovery?
    /// Requests sent after the fault that failed or stayed indeterminate.
    public var errorsAfterFault: Int

    /// Measures `history`; `context` gives the fault and the detection time.
    public init(history: DrillHistory, context: DrillContext) {
        let operations = history.operations
        let span = max(1, Int(history.span.rounded(.up)))
        var buckets = Array(repeating: Tally(), count: span)
        var total = Tally()
        var kinds: [OperationKind: Tally] = [:]
        for operation in operations {
            buckets[min(max(0, Int(operation.sent)), span - 1)].add(operation)
            total.add(operation)
            kinds[operation.kind, default: Tally()].add(operation)
        }
        seconds = buckets.enumerated().map { SecondMeasures(second: $0, requests: $1.counts) }
        self.total = total.counts
        byOperation = Dictionary(uniqueKeysWithValues: kinds.map { ($0.rawValue, $1.counts) })

        let fault = context.fault?.time
        faultTime = fault
        if let detection = context.detectionTime, let fault { detectionSeconds = detection - fault }
        writeRecovery = fault.flatMap { Self.recovery(operations, after: $0, writes: true) }
        readRecovery = fault.flatMap { Self.recovery(operations, after: $0, writes: false) }
        sustainedWriteRecovery = fault.flatMap { Self.sustainedRecovery(operations, after: $0, writes: true) }
        errorsAfterFault =
            fault.map { time in
                operations.count { $0.sent >= time && ($0.outcome == .failed || $0.outcome == .indeterminate) }
            } ?? 0
    }

    /// Fault → the first success of a write (or a read) among requests sent at or after `fault`; nil when none.
    /// This is the deployment file's `rto` (fault → first successful write), which the objective judges.
    public static func recovery(in history: DrillHistory, after fault: Double, writes: Bool) -> Recovery? {
        recovery(history.operations, after: fault, writes: writes)
    }

    static func recovery(_ operations: [DrillOperation], after fault: Double, writes: Bool) -> Recovery? {
        operations
            .filter { $0.outcome == .ok && $0.sent >= fault && $0.kind.isWrite == writes && $0.answered != nil }
            .min { $0.answered! < $1.answered! }
            .map { Recovery(seconds: $0.answered! - fault, operation: $0.id) }
    }

    /// How many requests of the kind, sent in a row after a success, must also not fail for the service to count
    /// as back in `sustainedRecovery`.
    public static let sustainedRequests = 5

    /// Fault → the answer of the first success that lasts: the next `sustainedRequests` requests of the kind sent
    /// after it do not fail with a 5xx or go unanswered. A write that slipped through in the instant after the fault
    /// (a process not killed yet) or one between two failures is no recovery; a 4xx is the request's own fault; one
    /// stray timeout long after the failover is no outage. Reported beside `rto-write` (stricter, not judged).
    public static func sustainedRecovery(_ operations: [DrillOperation], after fault: Double, writes: Bool) -> Recovery?
    {
        let after = operations.filter { $0.sent >= fault && $0.kind.isWrite == writes && $0.outcome != .shed }
            .sorted { $0.sent < $1.sent }
        func failed(_ operation: DrillOperation) -> Bool {
            operation.outcome == .indeterminate || (operation.outcome == .failed && (operation.status ?? 500) >= 500)
        }
        for (index, operation) in after.enumerated() where operation.outcome == .ok && operation.answered != nil {
            guard !after[(index + 1)...].prefix(sustainedRequests).contains(where: failed) else { continue }
            return Recovery(seconds: operation.answered! - fault, operation: operation.id)
        }
        return nil
    }

    /// Counts and a latency histogram (microseconds up to an hour, 3 significant digits) being filled.
    struct Tally {
        var requests = RequestCounts()
        var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)

        mutating func add(_ operation: DrillOperation) { requests.count(operation, into: &histogram) }

        var counts: RequestCounts {
            var counts = requests
            counts.latency = LatencySummary(histogram)
            return counts
        }
    }

    /// Each region's share of the answered requests, 0 to 1.
    public var regionShare: [String: Double] {
        let answered = total.regions.values.reduce(0, +)
        return total.regions.mapValues { answered == 0 ? 0 : Double($0) / Double(answered) }
    }
}
