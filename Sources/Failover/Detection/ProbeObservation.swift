import Foundation

/// What one probe of one region found, from one vantage point (DESIGN.md §4).
public enum RegionCondition: String, Codable, Sendable, CaseIterable, Comparable {
    case healthy
    /// Answers, but slower than the slow threshold (gray failure).
    case slow
    /// The region's database answers, its portals do not.
    case portalDown = "portal-down"
    /// The portals answer but report their database unreachable, and the database does not answer.
    case databaseDown = "database-down"
    /// Neither portals nor database answer.
    case unreachable
    /// No verdict yet.
    case unknown

    /// Whether the region cannot serve (as opposed to healthy, slow or not yet known).
    public var isDown: Bool { self == .portalDown || self == .databaseDown || self == .unreachable }

    /// Severity order, used to break ties between vantage points.
    var severity: Int {
        switch self {
        case .unknown: 0
        case .healthy: 1
        case .slow: 2
        case .portalDown: 3
        case .databaseDown: 4
        case .unreachable: 5
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.severity < rhs.severity }
}

/// A region's database as one probe saw it.
public struct DatabaseProbe: Codable, Hashable, Sendable {
    public var role: DatabaseRole
    /// Replayed (standby) or current (primary) WAL position.
    public var replayedLSN: LogSequenceNumber?
    /// Received and flushed (standby) or flushed (primary) WAL position.
    public var flushedLSN: LogSequenceNumber?
    /// On a primary: the `application_name` of every standby streaming from it.
    public var streaming: [String]
    /// On a primary: the standbys that currently count as synchronous.
    public var synchronous: [String]
    /// Whether the server refuses writes (`default_transaction_read_only`).
    public var readOnly: Bool
    /// Seconds since the last replayed transaction (standby), 0 when caught up.
    public var lagSeconds: Double?

    public init(
        role: DatabaseRole, replayedLSN: LogSequenceNumber?, flushedLSN: LogSequenceNumber?, streaming: [String] = [],
        synchronous: [String] = [], readOnly: Bool = false, lagSeconds: Double? = nil
    ) {
        self.role = role
        self.replayedLSN = replayedLSN
        self.flushedLSN = flushedLSN
        self.streaming = streaming
        self.synchronous = synchronous
        self.readOnly = readOnly
        self.lagSeconds = lagSeconds
    }
}

/// The result of one probe of `region` from `vantage`: the portal's readiness and the database's answer.
public struct ProbeObservation: Codable, Hashable, Sendable {
    public var region: RegionName
    public var vantage: String
    /// Whether a portal answered its readiness check with 200.
    public var portalReady: Bool?
    /// Whether a portal answered at all (a 503 is an answer: the portal lives, its database does not).
    public var portalAnswered: Bool?
    /// The database's answer; nil when it did not answer in time or was not probed.
    public var database: DatabaseProbe?
    /// Whether the database was probed at all (the edge probes portals only).
    public var databaseProbed: Bool
    /// The slowest of the probes, in milliseconds.
    public var latencyMilliseconds: Double

    public init(
        region: RegionName, vantage: String, portalReady: Bool?, portalAnswered: Bool?, database: DatabaseProbe?,
        databaseProbed: Bool, latencyMilliseconds: Double
    ) {
        self.region = region
        self.vantage = vantage
        self.portalReady = portalReady
        self.portalAnswered = portalAnswered
        self.database = database
        self.databaseProbed = databaseProbed
        self.latencyMilliseconds = latencyMilliseconds
    }

    /// What this one probe says about the region.
    public func condition(slowThreshold: Duration) -> RegionCondition {
        if portalReady == true {
            return latencyMilliseconds > Double(slowThreshold.wholeMilliseconds) ? .slow : .healthy
        }
        if databaseProbed && database != nil { return .portalDown }
        return portalAnswered == true ? .databaseDown : .unreachable
    }
}
