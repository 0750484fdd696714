/// The header of every etcd answer: which cluster and member answered, at which revision and raft term.
public struct EtcdResponseHeader: Sendable, Equatable {
    public var clusterID: UInt64
    public var memberID: UInt64
    /// The store's revision when the request was applied.
    public var revision: Int64
    public var raftTerm: UInt64
}

extension EtcdResponseHeader {
    struct Wire: Decodable {
        var cluster_id: String?
        var member_id: String?
        var revision: WireInt64?
        var raft_term: String?
    }

    init(_ wire: Wire?) {
        self.init(
            clusterID: wire?.cluster_id.flatMap { UInt64($0) } ?? 0,
            memberID: wire?.member_id.flatMap { UInt64($0) } ?? 0,
            revision: wire?.revision.orZero ?? 0, raftTerm: wire?.raft_term.flatMap { UInt64($0) } ?? 0)
    }
}
