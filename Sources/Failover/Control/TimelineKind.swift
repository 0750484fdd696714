import Foundation

extension TimelineEvent {
    /// What a timeline event records. The raw values are the wire names (the JSON of `drctl events`, etcd's
    /// timeline, the drill reports): they never change meaning; a new kind gets a new name.
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        // The leader and its store.
        case controllerStarted = "controller-started"
        case etcdLeaderMoved = "etcd-leader-moved"
        // Detection.
        case vantageVerdict = "vantage-verdict"
        case vantageIsolated = "vantage-isolated"
        case vantageRejoined = "vantage-rejoined"
        case regionHealthy = "region-healthy"
        case regionSlow = "region-slow"
        case regionDown = "region-down"
        case regionUnknown = "region-unknown"
        case alarm
        // Decisions and requests.
        case failoverNeeded = "failover-needed"
        case failoverStarted = "failover-started"
        case failoverContinued = "failover-continued"
        case switchoverStarted = "switchover-started"
        case rejoinStarted = "rejoin-started"
        case modeChanged = "mode-changed"
        case drained
        case undrained
        // The plan (FailoverExecution).
        case stepStarted = "step-started"
        case stepFinished = "step-finished"
        case stepFailed = "step-failed"
        case operationResumed = "operation-resumed"
        case failoverBlocked = "failover-blocked"
        case switchoverBlocked = "switchover-blocked"
        case rejoinBlocked = "rejoin-blocked"
        case switchoverAbandoned = "switchover-abandoned"
        case rejoinAbandoned = "rejoin-abandoned"
        case failoverFinished = "failover-finished"
        case switchoverFinished = "switchover-finished"
        case rejoinFinished = "rejoin-finished"
        case promoted
        case promotionSkipped = "promotion-skipped"
        case epochBound = "epoch-bound"
        case epochBindFailed = "epoch-bind-failed"
        // The steps' actions.
        case databaseFenced = "database-fenced"
        case fenceFailed = "fence-failed"
        case writersStopped = "writers-stopped"
        case leaseExpired = "lease-expired"
        case prepared
        case caughtUp = "caught-up"
        case standbyUnreachable = "standby-unreachable"
        case selected
        case repointed
        case repointFailed = "repoint-failed"
        case writerMoved = "writer-moved"
        case trafficDial = "traffic-dial"
        case trafficDialFailed = "traffic-dial-failed"
        case rejoined
        // Synchronous durability.
        case rpoZeroSuspended = "rpo-zero-suspended"
        case rpoZeroRestored = "rpo-zero-restored"
        case degradeFailed = "degrade-failed"
        case restoreFailed = "restore-failed"
        /// A kind this build does not know (written by a newer replica): read, never written.
        case unrecognized

        public init(from decoder: any Decoder) throws {
            let name = try decoder.singleValueContainer().decode(String.self)
            self = Kind(rawValue: name) ?? .unrecognized
        }

        /// The region's assessment changed to `condition` (every way of being down is `region-down`).
        public static func region(_ condition: RegionCondition) -> Kind {
            switch condition {
            case .healthy: .regionHealthy
            case .slow: .regionSlow
            case .portalDown, .databaseDown, .unreachable: .regionDown
            case .unknown: .regionUnknown
            }
        }

        public static func started(_ operation: FailoverOperation.Kind) -> Kind {
            switch operation {
            case .failover: .failoverStarted
            case .switchover: .switchoverStarted
            case .rejoin: .rejoinStarted
            }
        }

        public static func blocked(_ operation: FailoverOperation.Kind) -> Kind {
            switch operation {
            case .failover: .failoverBlocked
            case .switchover: .switchoverBlocked
            case .rejoin: .rejoinBlocked
            }
        }

        public static func finished(_ operation: FailoverOperation.Kind) -> Kind {
            switch operation {
            case .failover: .failoverFinished
            case .switchover: .switchoverFinished
            case .rejoin: .rejoinFinished
            }
        }

        /// An operation refused at a step (a failover stays, fenced; a switchover or a rejoin is abandoned).
        public var isBlock: Bool { self == .failoverBlocked || self == .switchoverBlocked || self == .rejoinBlocked }

        /// An operation's successful end.
        public var isFinish: Bool {
            self == .failoverFinished || self == .switchoverFinished || self == .rejoinFinished
        }

        /// A fault's first sign on the timeline, for the drills' detection time.
        public var isDetection: Bool { self == .regionDown || self == .regionSlow }

        /// The fence step's end (the drills' fence marker).
        public var endsFence: Bool { self == .leaseExpired || self == .writersStopped || self == .databaseFenced }
    }
}
