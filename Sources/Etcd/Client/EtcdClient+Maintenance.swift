/// One member as the cluster lists it.
public struct EtcdMember: Sendable, Equatable {
    /// The member's raft ID (a uint64; the gateway writes it as a decimal string).
    public var id: UInt64
    public var name: String
}

/// What one member says about itself: its ID and the raft leader it follows (0: none known).
public struct EtcdMemberStatus: Sendable, Equatable {
    public var endpoint: String
    public var memberID: UInt64
    public var leaderID: UInt64
}

extension EtcdClient {
    /// The member at `endpoint` about itself (that member only, no fallback to another).
    public func status(of endpoint: String) async throws(EtcdError) -> EtcdMemberStatus {
        struct Status: Decodable {
            struct Header: Decodable { var member_id: WireUInt64? }
            var header: Header?
            var leader: WireUInt64?
        }
        let answer = try await call("/v3/maintenance/status", [String: String](), at: endpoint, as: Status.self)
        guard let member = answer.header?.member_id?.value else {
            throw EtcdError(.invalidResponse, "\(endpoint) answered a status without its member ID")
        }
        return EtcdMemberStatus(endpoint: endpoint, memberID: member, leaderID: answer.leader?.value ?? 0)
    }

    /// Every member of the cluster.
    public func members() async throws(EtcdError) -> [EtcdMember] {
        struct List: Decodable {
            struct Member: Decodable {
                var ID: WireUInt64?
                var name: String?
            }
            var members: [Member]?
        }
        let answer = try await call("/v3/cluster/member/list", [String: String](), as: List.self)
        return (answer.members ?? []).compactMap { member in
            member.ID.map { EtcdMember(id: $0.value, name: member.name ?? "") }
        }
    }

    /// Asks the raft leader (the member at `endpoint`) to hand its leadership to member `target` now, as etcd's
    /// MoveLeader does before maintenance; etcd refuses it from a member that does not lead.
    public func moveLeader(at endpoint: String, to target: UInt64) async throws(EtcdError) {
        struct Moved: Decodable { var header: EtcdResponseHeader.Wire? }
        _ = try await call(
            "/v3/maintenance/transfer-leadership", ["targetID": String(target)], at: endpoint, as: Moved.self)
    }
}
