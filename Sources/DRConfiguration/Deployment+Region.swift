import Failover

extension Deployment {
    /// One region of the deployment (section `regions`).
    public struct Region: Hashable, Sendable {
        /// The region's name, such as `eu-west-1`.
        public var name: RegionName
        /// The role the region's database has when the deployment is at home (before any failover).
        public var role: Role
        /// The client location the region serves first, such as `us`, `eu` or `ap` (the edge's locations).
        public var location: String
        /// The contact who owns the region, when named.
        public var owner: String?

        public init(name: RegionName, role: Role, location: String, owner: String? = nil) {
            self.name = name
            self.role = role
            self.location = location
            self.owner = owner
        }

        /// The role of a region's database at home.
        public enum Role: String, Hashable, Sendable, CaseIterable {
            /// Holds the primary database: takes the writes.
            case primary
            /// Holds a hot-standby replica: serves reads, forwards writes, is a failover candidate.
            case standby
        }
    }

    /// How commits are replicated between regions (DESIGN.md §3, invariant 2).
    public enum Durability: String, Hashable, Sendable, CaseIterable {
        /// A commit returns once another region has it: RPO 0.
        case sync
        /// No synchronous standby: a failover loses at most the replication lag.
        case async
        /// Ordinary writes asynchronous; security-critical writes wait until a standby applied them.
        case criticalSync = "critical-sync"
    }

    /// The recovery objectives (section `objectives`).
    public struct Objectives: Hashable, Sendable {
        /// Recovery time objective: fault → first successful write through the edge.
        public var rto: Duration = .seconds(5)
        /// Recovery point objective: the window of acknowledged writes that may be lost; zero means none.
        public var rpo: Duration = .zero
        public init() {}

        /// `rto=5s,rpo=0`, the form drill records carry.
        public var text: String { "rto=\(rto.text),rpo=\(rpo == .zero ? "0" : rpo.text)" }
    }

    /// Alarm thresholds that are not controller settings (section `alarms`). Region down, gray failure and
    /// replication lag follow the controller's `failure-threshold`, `slow-threshold` and `replication-lag-alarm`.
    public struct Alarms: Hashable, Sendable {
        /// Share of 5xx answers at the entry point, in percent, that raises the error-rate alarm.
        public var errorRatePercent: Double = 5
        /// The window over which the error rate is measured.
        public var errorRateWindow: Duration = .seconds(300)
        /// Failed logins in five minutes that raise the login-failure alarm (credential stuffing).
        public var loginFailures: Int = 100
        public init() {}
    }

    /// Where alarms go besides the escalation path (section `notifications`).
    public struct Notifications: Hashable, Sendable {
        /// Every alarm is POSTed as JSON to each of these URLs.
        public var webhooks: [String] = []
        /// Every alarm is appended as a JSON line to this file.
        public var file: String?
        /// The public status page, where customers read about an incident.
        public var statusPage: String?
        public init() {}
    }
}
