/// What to do when the durability mode is `sync` and no standby can acknowledge commits.
public enum SyncStandbyPolicy: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Keep waiting: writes block until a standby is back (RPO 0 is kept, availability is not).
    case block
    /// After this long without a synchronous standby, switch to asynchronous commits, raise an alarm and record
    /// that RPO 0 is suspended.
    case degradeAfter(Duration)

    /// Parses `block` or `degrade-after=30s`.
    public init?(text: String) {
        if text == "block" {
            self = .block
        } else if text.hasPrefix("degrade-after="), let duration = Duration(text: String(text.dropFirst(14))) {
            self = .degradeAfter(duration)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .block: "block"
        case .degradeAfter(let duration): "degrade-after=\(duration.text)"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let policy = Self(text: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not a policy (block or degrade-after=DURATION): \(text)")
        }
        self = policy
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Whether the controller fails over by itself.
public enum ControllerMode: String, Hashable, Sendable, Codable, CaseIterable {
    /// Detect, decide and execute.
    case automatic
    /// Detect and alarm; a person runs `drctl failover`, the controller executes the same plan.
    case manual
}

/// The controller's tunables (DESIGN.md §4). Every field has a default suited to the lab; the deployment file
/// (`deploy/customer-portal.dr.yaml`, section `controller`) overrides them by the keys listed in `keys`.
public struct ControllerSettings: Hashable, Sendable, Codable {
    /// Time between two probes of one region from one vantage point.
    public var probeInterval: Duration = .milliseconds(200)
    /// A probe that takes longer counts as failed.
    public var probeTimeout: Duration = .milliseconds(600)
    /// Consecutive failed probes before a vantage point calls a region down.
    public var failureThreshold: Int = 3
    /// Consecutive good probes before a vantage point calls a region up again; a recovered region also takes
    /// traffic back only after it has been healthy this many probe intervals.
    public var recoveryThreshold: Int = 10
    /// A probe this much slower than the vantage point's usual latency for the region counts as slow (gray
    /// failure).
    public var slowThreshold: Duration = .milliseconds(250)
    /// How long a write lease lasts; the holder renews it every third of this.
    public var leaseDuration: Duration = .seconds(3)
    /// Extra wait after a lease's end before a promotion, for clock-rate differences and delays in flight.
    public var clockMargin: Duration = .milliseconds(500)
    /// Failover refuses a candidate standby that lags the old primary by more than this many bytes of WAL,
    /// unless forced.
    public var maxLagOnFailover: UInt64 = 16 * 1024 * 1024
    /// After a failover, no other failover starts within this long.
    public var cooldown: Duration = .seconds(60)
    /// Replication lag above this raises the replication-lag alarm.
    public var replicationLagAlarm: Duration = .seconds(5)
    /// `automatic` or `manual`.
    public var mode: ControllerMode = .automatic
    /// `sync` durability with every standby lost.
    public var syncStandbyPolicy: SyncStandbyPolicy = .block

    public init() {}

    /// Every settings key, as written in the deployment file and on the command line.
    public static let keys: [String] = [
        "probe-interval", "probe-timeout", "failure-threshold", "recovery-threshold", "slow-threshold",
        "lease-duration", "clock-margin", "max-lag-on-failover", "cooldown", "replication-lag-alarm", "mode",
        "sync-standby-policy",
    ]

    /// Applies one `key: value` setting; an unknown key or a bad value is an error that names the key.
    public mutating func apply(key: String, value: String) throws(FailoverError) {
        func duration() throws(FailoverError) -> Duration {
            guard let duration = Duration(text: value) else {
                throw FailoverError(.invalidArgument, "\(key): must be a duration such as 250ms or 3s, got '\(value)'")
            }
            return duration
        }
        func count() throws(FailoverError) -> Int {
            guard let number = Int(value), (1...1000).contains(number) else {
                throw FailoverError(.invalidArgument, "\(key): must be a whole number 1–1000, got '\(value)'")
            }
            return number
        }
        switch key {
        case "probe-interval": probeInterval = try duration()
        case "probe-timeout": probeTimeout = try duration()
        case "failure-threshold": failureThreshold = try count()
        case "recovery-threshold": recoveryThreshold = try count()
        case "slow-threshold": slowThreshold = try duration()
        case "lease-duration": leaseDuration = try duration()
        case "clock-margin": clockMargin = try duration()
        case "max-lag-on-failover":
            guard let bytes = UInt64(value) else {
                throw FailoverError(.invalidArgument, "\(key): must be a number of bytes, got '\(value)'")
            }
            maxLagOnFailover = bytes
        case "cooldown": cooldown = try duration()
        case "replication-lag-alarm": replicationLagAlarm = try duration()
        case "mode":
            guard let mode = ControllerMode(rawValue: value) else {
                throw FailoverError(.invalidArgument, "\(key): must be automatic or manual, got '\(value)'")
            }
            self.mode = mode
        case "sync-standby-policy":
            guard let policy = SyncStandbyPolicy(text: value) else {
                throw FailoverError(
                    .invalidArgument, "\(key): must be block or degrade-after=DURATION, got '\(value)'")
            }
            syncStandbyPolicy = policy
        default:
            throw FailoverError(
                .invalidArgument, "\(key): not a controller setting (known: \(Self.keys.joined(separator: ", ")))")
        }
        try validate()
    }

    /// Rejects combinations that cannot work, naming the setting.
    public func validate() throws(FailoverError) {
        guard probeInterval >= .milliseconds(20), probeInterval <= .seconds(60) else {
            throw FailoverError(.invalidArgument, "probe-interval: must be 20ms–60s, got \(probeInterval.text)")
        }
        guard probeTimeout >= .milliseconds(20), probeTimeout <= .seconds(60) else {
            throw FailoverError(.invalidArgument, "probe-timeout: must be 20ms–60s, got \(probeTimeout.text)")
        }
        guard leaseDuration >= .milliseconds(300), leaseDuration <= .seconds(600) else {
            throw FailoverError(.invalidArgument, "lease-duration: must be 300ms–10m, got \(leaseDuration.text)")
        }
        guard clockMargin <= leaseDuration else {
            throw FailoverError(.invalidArgument, "clock-margin: must not exceed lease-duration")
        }
    }

    /// Every setting as `key → text`, in `keys` order.
    public var textValues: [(key: String, value: String)] {
        [
            ("probe-interval", probeInterval.text), ("probe-timeout", probeTimeout.text),
            ("failure-threshold", String(failureThreshold)), ("recovery-threshold", String(recoveryThreshold)),
            ("slow-threshold", slowThreshold.text), ("lease-duration", leaseDuration.text),
            ("clock-margin", clockMargin.text), ("max-lag-on-failover", String(maxLagOnFailover)),
            ("cooldown", cooldown.text), ("replication-lag-alarm", replicationLagAlarm.text),
            ("mode", mode.rawValue), ("sync-standby-policy", syncStandbyPolicy.description),
        ]
    }
}
