/// One thing the checker found wrong (or could not check), about one account or one request.
public struct Finding: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// An acknowledged write that is missing after recovery (RPO).
        case lostWrite = "lost-write"
        /// Something ended or replaced that works again: a logged-out session, a changed password, a deleted
        /// account.
        case resurrection
        /// An account that exists twice, or was replaced by another with the same address.
        case duplicate
        /// A client that got a success and then could not read its own write.
        case readYourWrites = "read-your-writes"
        /// A write accepted by a primary that should have been fenced (split brain); reported by the caller.
        case fencedWrite = "fenced-write"
        /// A check that could not be made (the probe failed): neither a pass nor a finding.
        case inconclusive
    }

    public var kind: Kind
    /// The account concerned, when there is one.
    public var email: String?
    /// The history's operation concerned: the lost write, the revoking request, the failing read.
    public var operation: Int?
    /// When that operation was sent, in seconds since the drill's start.
    public var time: Double?
    /// What is wrong, in one line.
    public var detail: String

    public init(_ kind: Kind, email: String? = nil, operation: Int? = nil, time: Double? = nil, detail: String) {
        self.kind = kind
        self.email = email
        self.operation = operation
        self.time = time
        self.detail = detail
    }

    public var description: String {
        [kind.rawValue, email, operation.map { "#\($0)" }, detail].compactMap { $0 }.joined(separator: " ")
    }
}

/// A write accepted by a primary after it should have been fenced. The checker cannot see these in the
/// history; the caller (the drill controller) finds them, for example in the old primary's WAL or audit log
/// after the failover, and passes them in `Observations.fencedPrimaryWrites`.
public struct FencedWrite: Codable, Hashable, Sendable {
    /// The region of the fenced primary.
    public var region: String
    /// When it was accepted, in seconds since the drill's start, when known.
    public var time: Double?
    /// What was written (an audit event, a WAL position).
    public var detail: String

    public init(region: String, time: Double? = nil, detail: String) {
        self.region = region
        self.time = time
        self.detail = detail
    }
}
