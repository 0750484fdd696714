import Foundation

/// One event of the controller's timeline (a detection, a decision, a failover step), placed on the drill's
/// time axis.
public struct DrillEvent: Codable, Hashable, Sendable {
    /// Seconds since the drill's start.
    public var time: Double
    /// A short name, such as `region-down` or `promote`.
    public var name: String
    /// One line of detail, such as `eu-west-1 promoted at 0/3000060`.
    public var detail: String

    public init(time: Double, name: String, detail: String = "") {
        self.time = time
        self.name = name
        self.detail = detail
    }

    /// An event stamped with a wall-clock `date`, placed relative to the drill's `startedAt`.
    public init(date: Date, drillStartedAt startedAt: Date, name: String, detail: String = "") {
        self.init(time: date.timeIntervalSince(startedAt), name: name, detail: detail)
    }
}

/// What the drill controller knows that the history does not: the scenario, when the fault was injected,
/// when the controller declared the region down, its timeline, and the replication lag before the fault.
/// Times are seconds since the drill's start (`DrillHistory.startedAt`).
public struct DrillContext: Codable, Hashable, Sendable {
    /// Such as `region-crash`.
    public var scenario: String
    /// `sync`, `async` or `critical-sync`.
    public var durability: String
    /// The fault's name (`crash us-east-1`) and time; nil for a drill without a fault.
    public var fault: DrillEvent?
    /// When the failed region was declared down.
    public var detectionTime: Double?
    public var timeline: [DrillEvent]
    /// Replication lag of each standby region just before the fault, in seconds.
    public var replicationLagBeforeFault: [String: Double]

    public init(
        scenario: String, durability: String, fault: DrillEvent? = nil, detectionTime: Double? = nil,
        timeline: [DrillEvent] = [], replicationLagBeforeFault: [String: Double] = [:]
    ) {
        self.scenario = scenario
        self.durability = durability
        self.fault = fault
        self.detectionTime = detectionTime
        self.timeline = timeline
        self.replicationLagBeforeFault = replicationLagBeforeFault
    }
}
