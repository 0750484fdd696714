/// A CloudWatch-style alarm: OK, ALARM or INSUFFICIENT_DATA, with a reason for the last change.
public struct Alarm: Codable, Hashable, Sendable {
    public enum State: String, Codable, Sendable {
        case ok = "OK"
        case alarm = "ALARM"
        case insufficientData = "INSUFFICIENT_DATA"
    }

    /// For example `region-health:us-east-1`, `replication-lag:eu-west-1`, `lease-lost`, `no-sync-standby`,
    /// `failover`.
    public var name: String
    public var state: State
    public var reason: String

    public init(name: String, state: State = .insufficientData, reason: String = "no data yet") {
        self.name = name
        self.state = state
        self.reason = reason
    }
}

/// Every alarm by name; `set` reports the transitions that must be notified.
public struct AlarmBook: Codable, Hashable, Sendable {
    public private(set) var alarms: [String: Alarm] = [:]

    public init() {}

    /// Sets an alarm's state; returns the alarm when its state changed (a new reason alone is no change).
    @discardableResult
    public mutating func set(_ name: String, _ state: Alarm.State, reason: String) -> Alarm? {
        let previous = alarms[name]?.state ?? .insufficientData
        alarms[name] = Alarm(name: name, state: state, reason: reason)
        return previous == state ? nil : alarms[name]
    }

    public subscript(name: String) -> Alarm? { alarms[name] }

    /// Every alarm, sorted by name.
    public var sorted: [Alarm] { alarms.values.sorted { $0.name < $1.name } }
}
