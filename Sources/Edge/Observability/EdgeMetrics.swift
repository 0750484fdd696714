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

    /// Proxied requests by the region that answered them (`none` when none did) and status.
    func requestCounter(region: String, status: Int) -> Counter {
        registry.makeCounter(
            descriptor: .init(
                namespace: "edge", metricName: "requests", unitName: "total",
                helpText: "Requests through the edge by serving region and status."),
            labels: [("region", region), ("status", String(status))])
    }

    /// The latency of proxied requests by the region that answered them.
    func requestDuration(region: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "edge", metricName: "request_duration", unitName: "seconds",
                helpText: "Latency of requests through the edge by serving region."),
            labels: [("region", region)], buckets: Self.latencyBuckets)
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

/// One connection's handles on the request metrics: the registry is asked once per region and status the
/// connection sees, not once per request (each ask builds the metric's name and labels and takes the registry's
/// lock). Used on the connection's event loop only.
struct RequestRecorder {
    let metrics: EdgeMetrics
    private var counters: [String: [Int: Counter]] = [:]
    private var durations: [String: DurationHistogram] = [:]

    init(metrics: EdgeMetrics) { self.metrics = metrics }

    /// Counts a proxied request by the region that answered it (`none` when none did) and its status.
    mutating func record(region: String, status: Int, duration: Duration) {
        if let counter = counters[region]?[status] {
            counter.increment()
        } else {
            let counter = metrics.requestCounter(region: region, status: status)
            counters[region, default: [:]][status] = counter
            counter.increment()
        }
        if let histogram = durations[region] {
            histogram.record(duration)
        } else {
            let histogram = metrics.requestDuration(region: region)
            durations[region] = histogram
            histogram.record(duration)
        }
    }
}
