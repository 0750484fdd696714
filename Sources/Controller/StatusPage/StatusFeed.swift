import Failover
import Foundation

/// What every open status page is sent: the leader's status (read at most every `freshness`, however many pages
/// are open), and samples of lag, requests and errors per region for the charts, kept for the last
/// `StatusFeed.window` since the first page was opened.
public actor StatusFeed {
    /// Requests and server errors one region has answered so far (cumulative counters), by region name.
    public typealias RequestCounts = [String: RequestCount]
    public struct RequestCount: Sendable, Equatable {
        public var requests: Double
        public var errors: Double
        public init(requests: Double, errors: Double) {
            self.requests = requests
            self.errors = errors
        }
    }

    /// One point of the charts.
    public struct Sample: Codable, Sendable, Equatable {
        public struct Region: Codable, Sendable, Equatable {
            public var lagSeconds: Double?
            public var lagBytes: UInt64?
            public var requestsPerSecond: Double?
            public var errorsPerSecond: Double?
        }
        public var time: Date
        public var regions: [String: Region]
    }

    public static let window: Duration = .seconds(300)
    static let sampleInterval: Duration = .seconds(2)
    static let freshness: Duration = .milliseconds(400)
    /// At most this many pages stream at once (each costs a connection and a loop).
    static let maximumStreams = 16

    let replica: ControllerReplica
    let requestCounts: (@Sendable () async -> RequestCounts?)?
    private var latest: (at: ContinuousClock.Instant, status: ControllerStatus?)?
    private var refresh: Task<ControllerStatus?, Never>?
    private(set) var samples: [Sample] = []
    private var lastSampled: ContinuousClock.Instant?
    private var lastCounts: (time: Date, counts: RequestCounts)?
    private var streams = 0

    /// `requestCounts` reads the edge's (or the load balancer's) counters; nil: the charts show lag only.
    public init(replica: ControllerReplica, requestCounts: (@Sendable () async -> RequestCounts?)? = nil) {
        self.replica = replica
        self.requestCounts = requestCounts
    }

    /// Takes a stream's place; false when `maximumStreams` are open already.
    func open() -> Bool {
        guard streams < Self.maximumStreams else { return false }
        streams += 1
        return true
    }

    func close() { streams -= 1 }

    /// The leader's status, read anew when the last read is older than `freshness` (one read serves every page);
    /// nil when no replica leads or the leader does not answer.
    func status() async -> ControllerStatus? {
        if let latest, latest.at.duration(to: .now) < Self.freshness { return latest.status }
        let task: Task<ControllerStatus?, Never>
        if let refresh {
            task = refresh
        } else {
            task = Task { [replica] in await replica.leaderStatus() }
            refresh = task
        }
        let status = await task.value
        if refresh == task {
            refresh = nil
            latest = (.now, status)
            if let status { await sampleIfDue(status) }
        }
        return status
    }

    private func sampleIfDue(_ status: ControllerStatus) async {
        if let lastSampled, lastSampled.duration(to: .now) < Self.sampleInterval { return }
        lastSampled = .now
        let now = Date()
        let counts = await requestCounts?()
        var regions: [String: Sample.Region] = [:]
        for region in status.regions {
            var sample = Sample.Region(lagSeconds: region.lagSeconds, lagBytes: region.lagBytes)
            if let counts, let previous = lastCounts, now.timeIntervalSince(previous.time) > 0.5 {
                let seconds = now.timeIntervalSince(previous.time)
                let current = counts[region.name.rawValue] ?? .init(requests: 0, errors: 0)
                let before = previous.counts[region.name.rawValue] ?? .init(requests: 0, errors: 0)
                // A restarted edge starts its counters again: no rate for that interval.
                if current.requests >= before.requests, current.errors >= before.errors {
                    sample.requestsPerSecond = (current.requests - before.requests) / seconds
                    sample.errorsPerSecond = (current.errors - before.errors) / seconds
                }
            }
            regions[region.name.rawValue] = sample
        }
        if let counts { lastCounts = (now, counts) }
        samples.append(Sample(time: now, regions: regions))
        let horizon = now.addingTimeInterval(-Self.window.seconds)
        samples.removeAll { $0.time < horizon }
    }

    /// The samples taken after `time` (all when nil).
    func samples(after time: Date?) -> [Sample] {
        guard let time else { return samples }
        return samples.filter { $0.time > time }
    }
}

extension StatusFeed {
    /// The edge's request counters by serving region from its Prometheus text (`edge_requests_total`); a 5xx
    /// status counts as an error.
    public static func edgeRequestCounts(fromPrometheusText text: String) -> RequestCounts {
        var counts: RequestCounts = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("edge_requests_total{") {
            guard let close = line.lastIndex(of: "}"),
                let value = Double(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces))
            else { continue }
            let labels = labelValues(line[line.index(after: line.firstIndex(of: "{")!)..<close])
            guard let region = labels["region"], let status = labels["status"].flatMap({ Int($0) }) else { continue }
            var count = counts[region] ?? RequestCount(requests: 0, errors: 0)
            count.requests += value
            if status >= 500 { count.errors += value }
            counts[region] = count
        }
        return counts
    }

    /// `a="1",b="2"` as a dictionary (values hold no quotes or commas in the metrics read here).
    static func labelValues(_ text: Substring) -> [String: String] {
        var labels: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            labels[String(parts[0])] = String(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
        }
        return labels
    }
}

extension ControllerReplica {
    /// The leader's status: this replica's own when it leads, otherwise the leader's answer; nil when no replica
    /// leads or the leader does not answer.
    public func leaderStatus() async -> ControllerStatus? {
        if leading != nil { return await status() }
        guard let url = leaderURL else { return nil }
        // A frozen leader must not hold every page: the page says how old its picture is.
        return try? await withTimeout(.seconds(3)) { [token = configuration.token] in
            try await ControllerClient(baseURLs: [url], token: token).status()
        }
    }
}
