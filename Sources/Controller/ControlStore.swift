import Etcd
import Failover
import Foundation

/// The control plane's state in etcd (DESIGN.md §3): who leads, the controller state, which replicas grant which
/// region's lease, the timeline, and every replica's heartbeat, under one key prefix per deployment.
///
/// Every write a leader makes is a transaction that compares the election key's create revision with the
/// leader's term: a deposed leader (paused, partitioned, replaced) cannot change anything — a fencing token, not a
/// lock.
public struct ControlStore: Sendable {
    public let etcd: EtcdClient
    public let prefix: String

    public init(etcd: EtcdClient, prefix: String = "/customer-portal/control-plane/") {
        self.etcd = etcd
        self.prefix = prefix
    }

    var leaderKey: String { prefix + "leader" }
    var stateKey: String { prefix + "state" }
    var eventsPrefix: String { prefix + "events/" }
    var replicasPrefix: String { prefix + "replicas/" }
    func eventKey(_ sequence: Int) -> String { eventsPrefix + String(format: "%012d", sequence) }

    /// A leader's term was taken over (or its etcd lease ended): nothing it asked for was written.
    public struct Deposed: Error, CustomStringConvertible {
        public var term: Int64
        public var description: String { "term \(term) is over: another replica leads (or none)" }
    }

    /// Who leads, as the election key says.
    public struct Leader: Codable, Sendable, Equatable {
        public var region: RegionName
        /// The leader's term: the election key's create revision (the epoch of its leadership).
        public var term: Int64
        public var since: Date
    }

    /// A replica's heartbeat (attached to its etcd lease, so a dead replica's disappears).
    public struct ReplicaHeartbeat: Codable, Sendable, Equatable {
        public var region: RegionName
        public var url: String
        public var leader: Bool
        public var term: Int64?
        public var heardAt: Date
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }

    // MARK: Election

    struct LeaderValue: Codable {
        var region: RegionName
        var since: Date
    }

    /// Becomes leader when nobody is (the key attached to `lease`); the current leader and its etcd lease either
    /// way.
    public func campaign(region: RegionName, lease: Int64) async throws -> (Leader?, Int64) {
        let value = String(
            decoding: try Self.encoder().encode(LeaderValue(region: region, since: Date())), as: UTF8.self)
        let result = try await etcd.txn(
            EtcdTransaction(
                compare: [.absent(leaderKey)], success: [.put(leaderKey, value, lease: lease)],
                failure: [.get(.key(leaderKey))]))
        if result.succeeded { return (Leader(region: region, term: result.header.revision, since: Date()), lease) }
        guard case .get(let range) = result.responses.first, let current = range.keyValues.first else {
            return (nil, 0)
        }
        return (Self.leader(current), current.lease)
    }

    /// The current leader, or nil when there is none.
    public func leader() async throws -> Leader? {
        try await etcd.get(leaderKey).flatMap(Self.leader)
    }

    static func leader(_ keyValue: EtcdKeyValue) -> Leader? {
        guard let value = try? decoder().decode(LeaderValue.self, from: keyValue.value) else { return nil }
        return Leader(region: value.region, term: keyValue.createRevision, since: value.since)
    }

    /// Gives up leadership at once (a replica shutting down), if `term` still leads.
    public func resign(term: Int64) async {
        _ = try? await etcd.txn(
            EtcdTransaction(compare: [fence(term)], success: [.delete(.key(leaderKey))]))
    }

    func fence(_ term: Int64) -> EtcdCompare { EtcdCompare(key: leaderKey, .createRevision(term)) }

    /// Runs `operations` only while `term` leads; throws `Deposed` otherwise.
    @discardableResult
    func fenced(_ term: Int64, _ operations: [EtcdOperation]) async throws -> EtcdTransactionResult {
        let result = try await etcd.txn(EtcdTransaction(compare: [fence(term)], success: operations))
        guard result.succeeded else { throw Deposed(term: term) }
        return result
    }

    /// Proves that `term` still leads (a fenced transaction that writes nothing), right before an action.
    public func confirm(term: Int64) async throws { try await fenced(term, []) }

    // MARK: State

    public func state() async throws -> ControllerState? {
        guard let value = try await etcd.get(stateKey) else { return nil }
        return try Self.decoder().decode(ControllerState.self, from: value.value)
    }

    /// Saves the state while `term` leads; returns its revision (as a snapshot would read it).
    @discardableResult
    public func save(_ state: ControllerState, term: Int64) async throws -> Int64 {
        try await fenced(term, [.put(key: stateKey, value: try Self.encoder().encode(state))]).header.revision
    }

    /// The state, created from `initial` by the first leader ever (never overwritten by a later one).
    /// One transaction (a round trip to the etcd majority): the existing state comes back in its failure branch.
    /// That branch also runs when `term` no longer leads; the state read then is still the real one, and the
    /// leader's first fenced write finds out.
    public func stateOrCreate(_ initial: ControllerState, term: Int64) async throws -> ControllerState {
        let result = try await etcd.txn(
            EtcdTransaction(
                compare: [fence(term), .absent(stateKey)],
                success: [.put(key: stateKey, value: try Self.encoder().encode(initial))],
                failure: [.get(.key(stateKey))]))
        if result.succeeded { return initial }
        guard case .get(let range)? = result.responses.first, let existing = range.keyValues.first else {
            throw Deposed(term: term)
        }
        return try Self.decoder().decode(ControllerState.self, from: existing.value)
    }

    // MARK: Lease grants

    var grantsPrefix: String { prefix + "grants/" }

    /// Records, attached to `lease`, that `replica` grants `region`'s write lease — only when the state is still
    /// the one read at `stateRevision` (a failover committed since then makes this fail: read again).
    public func recordGrant(of region: RegionName, by replica: RegionName, lease: Int64, stateRevision: Int64)
        async throws -> Bool
    {
        try await etcd.txn(
            EtcdTransaction(
                compare: [EtcdCompare(key: stateKey, .modRevision(stateRevision))],
                success: [.put(grantsPrefix + region.rawValue + "/" + replica.rawValue, "", lease: lease)])
        ).succeeded
    }

    /// Removes `replica`'s record of granting `region`'s lease (its last such lease has ended).
    public func withdrawGrant(of region: RegionName, by replica: RegionName) async throws {
        _ = try await etcd.delete(.key(grantsPrefix + region.rawValue + "/" + replica.rawValue))
    }

    /// The replicas whose etcd session still runs and that recorded granting `region`'s lease in it.
    public func granters(of region: RegionName) async throws -> [RegionName] {
        let prefix = grantsPrefix + region.rawValue + "/"
        return try await etcd.range(.prefix(prefix)).keyValues.map {
            RegionName(String($0.key.dropFirst(prefix.count)))
        }
    }

    /// The state (with its revision) and the election key (with its etcd lease) in one read-only transaction: what
    /// every replica reads a few times a second.
    public func snapshot() async throws -> (state: (ControllerState, Int64)?, leader: (Leader, Int64)?) {
        let result = try await etcd.txn(
            EtcdTransaction(compare: [], success: [.get(.key(stateKey)), .get(.key(leaderKey))]))
        var values: [EtcdKeyValue?] = []
        for response in result.responses {
            if case .get(let range) = response { values.append(range.keyValues.first) }
        }
        guard values.count == 2 else { throw EtcdError(.invalidResponse, "a snapshot without its two reads") }
        let state = try values[0].map {
            (try Self.decoder().decode(ControllerState.self, from: $0.value), $0.modRevision)
        }
        let leader = values[1].flatMap { value in Self.leader(value).map { ($0, value.lease) } }
        return (state, leader)
    }

    // MARK: The timeline

    var lastEventKey: String { prefix + "events-last" }

    /// Appends events (their sequence numbers continue the timeline), only while `term` leads; the last sequence
    /// number is kept beside them, so a new leader reads only the tail.
    public func append(_ events: [TimelineEvent], term: Int64) async throws {
        guard let last = events.last else { return }
        try await fenced(
            term,
            try events.map { .put(key: eventKey($0.sequence), value: try TimelineFile.encode([$0])) }
                + [.put(lastEventKey, String(last.sequence))])
    }

    /// The newest `count` events (a new leader's working timeline; older ones stay readable with `events`).
    public func recentEvents(_ count: Int) async throws -> [TimelineEvent] {
        let last = try await etcd.get(lastEventKey).flatMap { Int($0.text) } ?? 0
        return try await events(after: max(0, last - count))
    }

    /// Every event after `sequence`, in order (only those keys are read).
    public func events(after sequence: Int = 0) async throws -> [TimelineEvent] {
        let range = try await etcd.range(.prefixFrom(eventsPrefix, start: eventKey(sequence + 1)))
        var events: [TimelineEvent] = []
        for keyValue in range.keyValues {
            guard let event = try? TimelineFile.decode(keyValue.value).first, event.sequence > sequence else {
                continue
            }
            events.append(event)
        }
        return events.sorted { $0.sequence < $1.sequence }
    }

    // MARK: Replicas

    public func heartbeat(_ heartbeat: ReplicaHeartbeat, lease: Int64) async throws {
        try await etcd.put(
            replicasPrefix + heartbeat.region.rawValue, try Self.encoder().encode(heartbeat), lease: lease)
    }

    public func replicas() async throws -> [ReplicaHeartbeat] {
        try await etcd.range(.prefix(replicasPrefix)).keyValues.compactMap {
            try? Self.decoder().decode(ReplicaHeartbeat.self, from: $0.value)
        }.sorted { $0.region < $1.region }
    }
}
