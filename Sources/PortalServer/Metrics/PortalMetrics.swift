import Prometheus

/// The portal's Prometheus metrics, on a registry of its own (no global bootstrap, so several portals can
/// live in one test process): requests by route and status, latency, login outcomes, pool figures.
public struct PortalMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    func record(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "portal", metricName: "http_requests", unitName: "total",
                helpText: "HTTP requests by method, route and status."),
            labels: [("method", method), ("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "portal", metricName: "http_request_duration", unitName: "seconds",
                helpText: "HTTP request latency by route."),
            labels: [("route", route)], buckets: Self.latencyBuckets
        ).record(duration)
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
