// The controller reaches the world only through these protocols (DESIGN.md §1), so the same failover plan
// drives the lab (edge, local PostgreSQL, signals) and AWS (Global Accelerator, Route 53, Aurora Global Database).

/// The share of a region's traffic that it actually receives, 0–100 % (AWS Global Accelerator's traffic dial).
public struct TrafficDial: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: Int

    /// `nil` unless `percent` is within 0...100.
    public init?(rawValue percent: Int) {
        guard (0...100).contains(percent) else { return nil }
        self.rawValue = percent
    }

    public static let full = TrafficDial(rawValue: 100)!
    public static let off = TrafficDial(rawValue: 0)!

    public var description: String { "\(rawValue)%" }
}

/// What a traffic manager knows about one region's endpoint group.
public struct EndpointGroupStatus: Hashable, Codable, Sendable {
    public var region: RegionName
    public var dial: TrafficDial
    /// The traffic manager's own health verdict, when it has one.
    public var healthy: Bool?

    public init(region: RegionName, dial: TrafficDial, healthy: Bool?) {
        self.region = region
        self.dial = dial
        self.healthy = healthy
    }
}

/// Reads and sets per-region traffic dials (lab: the edge; AWS: Global Accelerator endpoint groups and Route 53).
public protocol TrafficManager: Sendable {
    /// Every region's endpoint group.
    func endpointGroups() async throws -> [EndpointGroupStatus]
    /// Sets one region's traffic dial.
    func setTrafficDial(_ dial: TrafficDial, for region: RegionName) async throws
}

/// One region's database as seen by the replication provider.
public struct ReplicationStatus: Hashable, Codable, Sendable {
    public var region: RegionName
    public var role: DatabaseRole
    /// Last WAL position replayed (standby) or written (primary).
    public var replayedLSN: LogSequenceNumber?
    /// Last WAL position flushed to durable storage on this server.
    public var flushedLSN: LogSequenceNumber?
    public var lagBytes: UInt64?
    public var lagSeconds: Double?

    public init(
        region: RegionName, role: DatabaseRole, replayedLSN: LogSequenceNumber? = nil,
        flushedLSN: LogSequenceNumber? = nil, lagBytes: UInt64? = nil, lagSeconds: Double? = nil
    ) {
        self.region = region
        self.role = role
        self.replayedLSN = replayedLSN
        self.flushedLSN = flushedLSN
        self.lagBytes = lagBytes
        self.lagSeconds = lagSeconds
    }
}

/// Per-region database roles and replication, and the actions that change them
/// (lab: PostgreSQL `pg_promote`, `pg_rewind`; AWS: Aurora Global Database).
public protocol DatabaseReplication: Sendable {
    /// Every region's role and replication position.
    func replicationStatus() async throws -> [ReplicationStatus]
    /// Unplanned failover: makes `region` the primary now; the caller has already fenced the old primary. Without
    /// `allowingDataLoss` (every automatic failover) no acknowledged write may be lost: a provider that cannot
    /// promote without loss refuses (`FailoverError` `.refused`), and the plan stays blocked for a person, whose
    /// `drctl failover --to REGION --force` allows it. The lab's select step already bounds the loss (with
    /// synchronous durability: none), so it promotes either way; Aurora Global Database replicates asynchronously, so
    /// it promotes without loss only while the old primary can still hand over (a switchover).
    func promote(_ region: RegionName, allowingDataLoss: Bool) async throws
    /// Planned switchover: stops writes, waits until `region` has everything, then promotes it. Zero loss.
    func switchover(to region: RegionName) async throws
    /// Brings a former primary back as a standby of the current primary.
    func rejoin(_ region: RegionName) async throws
}

/// A fault that a drill or an operator injects into one region.
public enum Fault: Hashable, Sendable, CustomStringConvertible {
    /// SIGKILL every process of the region.
    case crash
    /// SIGSTOP every process of the region.
    case freeze
    /// Cut every network link of the region; its processes keep running.
    case partition
    /// Add this much latency, in milliseconds, to every link of the region.
    case slow(milliseconds: Int)
    /// Crash only the region's database.
    case databaseCrash
    /// Crash only the region's portals.
    case portalCrash
    /// Crash only the region's control-plane replica.
    case controllerCrash
    /// Crash only the region's etcd member.
    case etcdCrash

    public var description: String {
        switch self {
        case .crash: "crash"
        case .freeze: "freeze"
        case .partition: "partition"
        case .slow(let milliseconds): "slow=\(milliseconds)ms"
        case .databaseCrash: "db-crash"
        case .portalCrash: "portal-crash"
        case .controllerCrash: "controller-crash"
        case .etcdCrash: "etcd-crash"
        }
    }
}

/// Injects faults and heals them (lab: signals and the WAN emulator; AWS: Fault Injection Service).
public protocol FaultInjector: Sendable {
    func inject(_ fault: Fault, into region: RegionName) async throws
    func heal(_ region: RegionName) async throws
}

/// Probes one region from where the caller stands: its portals' readiness and its database's role and position.
/// Implementations bound every probe by the probe timeout.
public protocol RegionProber: Sendable {
    func probe(_ region: RegionName, vantage: String) async -> ProbeObservation
    /// Closes what the prober keeps open (connections), when its owner stops.
    func close() async
}

extension RegionProber {
    public func close() async {}
}

/// The finer steps of a failover plan, around `DatabaseReplication.promote` (lab: SQL, the WAN emulator and
/// process checks; on Aurora the global failover does these itself).
public protocol FailoverActions: Sendable {
    /// Makes `region`'s database refuse writes (its epoch row marked fenced, which every write checks inside its
    /// transaction; `default_transaction_read_only` too) and ends its client sessions.
    func fenceDatabase(_ region: RegionName) async throws
    /// Binds `region`'s database to `epoch` (issue 14): from now on it accepts only writes that name this epoch, and
    /// it is no longer fenced. Runs on a newly promoted primary before its epoch is saved and any lease of it is
    /// granted, and on the primary when a term begins; idempotent, and never lowers the epoch it holds.
    func bindEpoch(_ epoch: Int, on region: RegionName) async throws
    /// Whether every process of `region` that could write is confirmed stopped.
    func writersStopped(in region: RegionName) async -> Bool
    /// Points the standby in `standby` at the primary in `primary`.
    func repoint(_ standby: RegionName, to primary: RegionName) async throws
    /// Gets the standby in `target` ready to be promoted while a failover waits (for a lease to run out): the
    /// other streaming standbys cascade from it, so they follow its promotion on the connections they have.
    /// Best effort; the promote and repoint steps do the real work whatever happened here. Returns the standbys
    /// now pointed at `target`.
    func prepareFailover(to target: RegionName) async throws -> [RegionName]
    /// Moves every region's writer endpoint to `primary`.
    func moveWriterEndpoint(to primary: RegionName) async throws
    /// Turns waiting for a synchronous standby off (the `degrade-after` policy) or on again.
    func setSynchronousCommit(_ enabled: Bool, primary: RegionName) async throws
    /// Whether the deployment's durability mode waits for a synchronous standby.
    func synchronousDurability() async -> Bool
}
