import Foundation

/// A failover, switchover or rejoin in progress, saved before and after every step so that a restarted
/// controller resumes it (DESIGN.md invariant 5).
public struct FailoverOperation: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case failover
        case switchover
        case rejoin
    }

    /// The steps of a failover and a switchover, in order (DESIGN.md §4).
    public enum Step: String, Codable, Sendable, CaseIterable, Comparable {
        /// Stop granting the old primary's lease and wait until it surely expired (or its writers are stopped);
        /// make its database refuse writes where it can be reached.
        case fence
        /// Pick the standby with the highest replayed LSN (or check the requested one).
        case select
        /// `pg_promote` (or the provider's equivalent), at most once.
        case promote
        /// Point the other standbys at the new primary.
        case repoint
        /// Move the writer endpoint to the new primary.
        case writer
        /// Set traffic dials: the old primary's region to 0.
        case traffic
        case done

        public static func < (lhs: Self, rhs: Self) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }

        public var next: Step { Self.allCases[min(Self.allCases.firstIndex(of: self)! + 1, Self.allCases.count - 1)] }
    }

    public var id: String
    public var kind: Kind
    /// The region that held the primary when the operation started (the region to rejoin, for a rejoin).
    public var from: RegionName
    /// The region to promote; nil until selected.
    public var to: RegionName?
    public var force: Bool
    public var step: Step
    public var startedAt: Date
    /// Who started it: `automatic` or `manual`.
    public var trigger: String

    public init(
        id: String, kind: Kind, from: RegionName, to: RegionName?, force: Bool, step: Step, startedAt: Date,
        trigger: String
    ) {
        self.id = id
        self.kind = kind
        self.from = from
        self.to = to
        self.force = force
        self.step = step
        self.startedAt = startedAt
        self.trigger = trigger
    }
}

/// Everything the controller must remember across restarts, in `<dir>/controller/state.json`.
public struct ControllerState: Codable, Hashable, Sendable {
    public var regions: [RegionName]
    public var primary: RegionName
    /// Increases with every promotion.
    public var epoch: Int
    public var mode: ControllerMode
    /// Former primaries that must be rewound or re-cloned before they serve again; they never become primary
    /// again without a switchover, and take no traffic.
    public var awaitingRejoin: [RegionName]
    /// Regions an operator drained (dial 0 until undrained).
    public var drained: [RegionName]
    public var operation: FailoverOperation?
    public var lastFailoverAt: Date?
    /// `sync` durability suspended by the `degrade-after` policy: RPO 0 does not hold until restored.
    public var synchronousCommitSuspended: Bool
    /// How many promotions this controller has executed (a promotion that was already done is not counted).
    public var promotions: Int

    public init(regions: [RegionName], primary: RegionName, mode: ControllerMode) {
        self.regions = regions
        self.primary = primary
        self.epoch = 1
        self.mode = mode
        self.awaitingRejoin = []
        self.drained = []
        self.operation = nil
        self.lastFailoverAt = nil
        self.synchronousCommitSuspended = false
        self.promotions = 0
    }

    /// The standby regions.
    public var standbys: [RegionName] { regions.filter { $0 != primary } }

    /// Who may write now, as the lease answer for `region`.
    public func leaseDecision(for region: RegionName) -> (LeaseAnswer.Decision, String?) {
        if awaitingRejoin.contains(region) { return (.fenced, "former primary awaiting rejoin") }
        if let operation, operation.from == region, operation.kind != .rejoin {
            return (.fenced, "\(operation.kind.rawValue) away from this region in progress")
        }
        // Until the target is promoted and bound to the new epoch, no region writes (issue 14, window 3): a standby
        // region's writes go through its writer endpoint, which still leads to the old primary, and a write accepted
        // there now is lost (async) or waits on a standby that is about to be promoted.
        if let operation, operation.kind != .rejoin, operation.from == primary {
            return (
                .fenced, "\(operation.kind.rawValue) away from \(primary) in progress: writes wait for the new primary"
            )
        }
        // The primary changes only once the target is promoted; the steps after that (repoint, writer, traffic, a
        // switchover's rewind of the former primary) and a rejoin leave write safety alone: the former primary is
        // fenced above, so the new one writes at once rather than seconds later.
        if region == primary { return (.granted, nil) }
        return (.standby, nil)
    }

    /// Whether a new automatic failover is held back by the cool-down at `now`.
    public func inCooldown(at now: Date, cooldown: Duration) -> Bool {
        guard let lastFailoverAt else { return false }
        return now.timeIntervalSince(lastFailoverAt) < cooldown.seconds
    }

    /// Reads the state file; nil when there is none.
    public static func load(from path: String) throws -> ControllerState? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return try decoder.decode(ControllerState.self, from: data) } catch {
            throw FailoverError(.invalidArgument, "\(path) is not a controller state file: \(error)")
        }
    }

    /// Writes the state file atomically.
    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
