import Failover
import Prometheus

/// The controller's Prometheus metrics, on a registry of its own.
struct ControllerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    struct Snapshot: Sendable {
        var conditions: [(region: String, vantage: String, condition: RegionCondition)]
        var assessments: [(region: String, condition: RegionCondition)]
        var lagBytes: [(region: String, bytes: UInt64)]
        var dials: [(region: String, percent: Int)]
        var leaseAgeSeconds: Double?
        var epoch: Int
        var promotions: Int
        var rounds: Int
    }

    private func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(
            descriptor: .init(namespace: "drcontroller", metricName: name, unitName: "", helpText: help),
            labels: labels)
    }

    func update(_ snapshot: Snapshot) {
        for item in snapshot.conditions {
            for condition in RegionCondition.allCases {
                gauge(
                    "vantage_verdict", "1 for the vantage point's current verdict on the region.",
                    [("region", item.region), ("vantage", item.vantage), ("condition", condition.rawValue)]
                ).set(item.condition == condition ? 1.0 : 0.0)
            }
        }
        for item in snapshot.assessments {
            for condition in RegionCondition.allCases {
                gauge(
                    "region_condition", "1 for the quorum's current condition of the region.",
                    [("region", item.region), ("condition", condition.rawValue)]
                ).set(item.condition == condition ? 1.0 : 0.0)
            }
        }
        for item in snapshot.lagBytes {
            gauge("replication_lag_bytes", "WAL bytes the standby has not replayed.", [("region", item.region)])
                .set(Double(item.bytes))
        }
        for item in snapshot.dials {
            gauge("traffic_dial_percent", "The region's traffic dial.", [("region", item.region)])
                .set(Double(item.percent))
        }
        if let age = snapshot.leaseAgeSeconds {
            gauge("lease_age_seconds", "Seconds since the primary region last renewed its write lease.").set(age)
        }
        gauge("epoch", "Promotions since the deployment began, plus one.").set(Double(snapshot.epoch))
        gauge("promotions", "Promotions this controller executed.").set(Double(snapshot.promotions))
        gauge("rounds", "Probe rounds since the controller started.").set(Double(snapshot.rounds))
    }

    func alarm(_ name: String, _ state: Alarm.State) {
        for candidate in [Alarm.State.ok, .alarm, .insufficientData] {
            gauge("alarm_state", "1 for the alarm's current state.", [("alarm", name), ("state", candidate.rawValue)])
                .set(candidate == state ? 1.0 : 0.0)
        }
    }

    func failoverFinished(_ kind: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "drcontroller", metricName: "operations_finished", unitName: "",
                helpText: "Failovers and switchovers finished."),
            labels: [("kind", kind)]
        ).increment()
    }

    func render() -> String { registry.emitToString() }
}
