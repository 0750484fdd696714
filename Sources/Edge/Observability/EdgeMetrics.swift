import Prometheus

/// The edge's Prometheus metrics on a registry of its own (no global bootstrap, so several edges can live in
/// one test process): requests, errors and latency per region, health per endpoint and region, dials, fail-open.
public struct EdgeMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5), .seconds(10),
    ]

    /// Metrics on `registry`, a fresh one by default.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Counts a proxied request by the region that answered it (`none` when none did) and its status.
    func recordRequest(region: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "edge", metricName: "requests", unitName: "total",
                helpText: "Requests through the edge by serving region and status."),
            labels: [("region", region), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "edge", metricName: "request_duration", unitName: "seconds",
                helpText: "Latency of requests through the edge by serving region."),
            labels: [("region", region)], buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// Counts a failed attempt to an endpoint: `connect`, `timeout` or `upstream`.
    func recordError(region: String, kind: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "edge", metricName: "upstream_errors", unitName: "total",
                helpText: "Failed attempts to reach a region's endpoint, by kind."),
            labels: [("region", region), ("kind", kind)]
        ).increment()
    }

    /// Counts a request routed while no region was healthy.
    func recordFailOpen() {
        registry.makeCounter(
            descriptor: .init(
                namespace: "edge", metricName: "fail_open", unitName: "total",
                helpText: "Requests routed as if every region were healthy because none was.")
        ).increment()
    }

    /// Publishes an endpoint's health (1 healthy, 0 unhealthy).
    func recordEndpointHealth(region: String, endpoint: Int, healthy: Bool) {
        registry.makeGauge(
            descriptor: .init(
                namespace: "edge", metricName: "endpoint_healthy", unitName: "",
                helpText: "1 when the endpoint is healthy."),
            labels: [("region", region), ("endpoint", String(endpoint))]
        ).set(healthy ? 1.0 : 0.0)
    }

    /// Publishes a region's health (1 when an endpoint with weight above 0 is healthy).
    func recordRegionHealth(region: String, healthy: Bool) {
        registry.makeGauge(
            descriptor: .init(
                namespace: "edge", metricName: "region_healthy", unitName: "", helpText: "1 when the region is healthy."
            ),
            labels: [("region", region)]
        ).set(healthy ? 1.0 : 0.0)
    }

    /// Publishes a region's traffic dial in percent.
    func recordDial(region: String, dial: Int) {
        registry.makeGauge(
            descriptor: .init(
                namespace: "edge", metricName: "traffic_dial", unitName: "percent",
                helpText: "The region's traffic dial."),
            labels: [("region", region)]
        ).set(Double(dial))
    }

    /// The exposition text.
    public func render() -> String { registry.emitToString() }
}
