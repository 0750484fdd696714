import Prometheus
import Synchronization

/// The portal's Prometheus metrics, on a registry of its own (no global bootstrap, so several portals can
/// live in one test process): requests by route and status, latency, login outcomes, pool figures.
public struct PortalMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5),
    ]

    /// The request metrics by method, route and status, made once each: the registry's lookup takes its lock and
    /// builds the label strings, on every request.
    private let requestMetrics = RequestMetricCache()

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Methods counted by name; any other a client invents is counted as `OTHER`, so that no client can grow the
    /// label set.
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    func record(method rawMethod: String, route: String, status: Int, duration: Duration) {
        let method = Self.methods.contains(rawMethod) ? rawMethod : "OTHER"
        let key = RequestMetricCache.Key(method: method, route: route, status: status)
        if let known = requestMetrics[key] {
            known.requests.increment()
            known.latency.record(duration)
            return
        }
        let made = (
            requests: makeRequestCounter(method: method, route: route, status: status),
            latency: makeLatencyHistogram(route: route)
        )
        requestMetrics[key] = made
        made.requests.increment()
        made.latency.record(duration)
    }

    private func makeRequestCounter(method: String, route: String, status: Int) -> Counter {
        registry.makeCounter(
            descriptor: .init(
                namespace: "portal", metricName: "http_requests", unitName: "total",
                helpText: "HTTP requests by method, route and status."),
            labels: [("method", method), ("route", route), ("status", String(status))])
    }

    private func makeLatencyHistogram(route: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "portal", metricName: "http_request_duration", unitName: "seconds",
                helpText: "HTTP request latency by route."),
            labels: [("route", route)], buckets: Self.latencyBuckets)
    }

    /// Counts a login attempt by outcome: `success`, `failure`, `throttled`, `disabled`.
    func recordLogin(outcome: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "portal", metricName: "logins", unitName: "total", helpText: "Login attempts by outcome."),
            labels: [("outcome", outcome)]
        ).increment()
    }

    /// Publishes a pool's configured size.
    func recordPool(name: String, maximumConnections: Int) {
        registry.makeGauge(
            descriptor: .init(
                namespace: "portal", metricName: "db_pool_max", unitName: "connections",
                helpText: "Largest number of connections a database pool opens."),
            labels: [("pool", name)]
        ).set(Double(maximumConnections))
    }

    /// The exposition text.
    public func render() -> String { registry.emitToString() }
}

/// Counters and histograms by their labels. Routes are the router's patterns, not raw paths, so the set is bounded
/// by routes × methods × statuses.
final class RequestMetricCache: Sendable {
    struct Key: Hashable {
        var method: String
        var route: String
        var status: Int
    }
    typealias Metrics = (requests: Counter, latency: DurationHistogram)
    private let entries = Mutex<[Key: Metrics]>([:])

    subscript(key: Key) -> Metrics? {
        get { entries.withLock { $0[key] } }
        set { entries.withLock { $0[key] = newValue } }
    }
}
