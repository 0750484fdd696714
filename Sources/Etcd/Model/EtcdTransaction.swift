import Foundation

/// One condition of a transaction: a key's create revision, mod revision, version or value compared to a given one.
public struct EtcdCompare: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        /// 0 compares "the key does not exist".
        case createRevision(Int64)
        case modRevision(Int64)
        case version(Int64)
        case value(Data)
    }

    public enum Relation: String, Sendable, Equatable {
        case equal = "EQUAL"
        case notEqual = "NOT_EQUAL"
        case greater = "GREATER"
        case less = "LESS"
    }

    public var key: String
    public var target: Target
    public var relation: Relation

    public init(key: String, _ target: Target, _ relation: Relation = .equal) {
        self.key = key
        self.target = target
        self.relation = relation
    }

    /// True when `key` does not exist: the condition of a campaign for a key.
    public static func absent(_ key: String) -> EtcdCompare { EtcdCompare(key: key, .createRevision(0)) }
}

/// One request inside a transaction.
public enum EtcdOperation: Sendable, Equatable {
    /// Writes `value` at `key`, attached to `lease` (0: none).
    case put(key: String, value: Data, lease: Int64 = 0)
    case get(EtcdKeyRange)
    case delete(EtcdKeyRange)

    /// A put of UTF-8 text.
    public static func put(_ key: String, _ text: String, lease: Int64 = 0) -> EtcdOperation {
        .put(key: key, value: Data(text.utf8), lease: lease)
    }

    var keyRange: EtcdKeyRange {
        switch self {
        case .put(let key, _, _): .key(key)
        case .get(let range), .delete(let range): range
        }
    }
}

/// If every comparison holds, the success operations run, else the failure operations; atomically.
public struct EtcdTransaction: Sendable, Equatable {
    public var compare: [EtcdCompare]
    public var success: [EtcdOperation]
    public var failure: [EtcdOperation]

    public init(compare: [EtcdCompare], success: [EtcdOperation], failure: [EtcdOperation] = []) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }
}

/// The answer to one operation of a transaction, in the order of the branch that ran.
public enum EtcdOperationResult: Sendable, Equatable {
    case put
    case get(EtcdRange)
    case delete(deleted: Int64)
}

/// Whether the comparisons held, and what the branch that ran answered.
public struct EtcdTransactionResult: Sendable, Equatable {
    public var header: EtcdResponseHeader
    public var succeeded: Bool
    public var responses: [EtcdOperationResult]
}

// MARK: The gateway's JSON

extension EtcdCompare {
    var wire: [String: String] {
        var fields = ["key": Data(key.utf8).base64EncodedString(), "result": relation.rawValue]
        switch target {
        case .createRevision(let revision):
            fields["target"] = "CREATE"
            fields["create_revision"] = String(revision)
        case .modRevision(let revision):
            fields["target"] = "MOD"
            fields["mod_revision"] = String(revision)
        case .version(let version):
            fields["target"] = "VERSION"
            fields["version"] = String(version)
        case .value(let value):
            fields["target"] = "VALUE"
            fields["value"] = value.base64EncodedString()
        }
        return fields
    }
}

extension EtcdOperation {
    var wire: [String: [String: String]] {
        switch self {
        case .put(let key, let value, let lease):
            return ["request_put": Self.putFields(key: key, value: value, lease: lease)]
        case .get(let range):
            return ["request_range": Self.rangeFields(range)]
        case .delete(let range):
            return ["request_delete_range": Self.rangeFields(range)]
        }
    }

    static func putFields(key: String, value: Data, lease: Int64) -> [String: String] {
        var fields = ["key": Data(key.utf8).base64EncodedString(), "value": value.base64EncodedString()]
        if lease != 0 { fields["lease"] = String(lease) }
        return fields
    }

    static func rangeFields(_ range: EtcdKeyRange) -> [String: String] {
        let (key, rangeEnd) = range.wire
        var fields = ["key": key]
        if let rangeEnd { fields["range_end"] = rangeEnd }
        return fields
    }
}

extension EtcdTransaction {
    struct Wire: Encodable {
        var compare: [[String: String]]
        var success: [[String: [String: String]]]
        var failure: [[String: [String: String]]]
    }

    var wire: Wire { Wire(compare: compare.map(\.wire), success: success.map(\.wire), failure: failure.map(\.wire)) }
}

extension EtcdTransactionResult {
    struct Wire: Decodable {
        struct Response: Decodable {
            struct Deleted: Decodable { var deleted: WireInt64? }
            var response_range: EtcdRange.Wire?
            var response_delete_range: Deleted?
        }
        var header: EtcdResponseHeader.Wire?
        var succeeded: Bool?
        var responses: [Response]?
    }

    init(_ wire: Wire) throws(EtcdError) {
        var responses: [EtcdOperationResult] = []
        for response in wire.responses ?? [] {
            if let range = response.response_range {
                responses.append(.get(try EtcdRange(range)))
            } else if let deleted = response.response_delete_range {
                responses.append(.delete(deleted: deleted.deleted.orZero))
            } else {
                // A put's answer carries only a header, and the gateway may send it as an empty object.
                responses.append(.put)
            }
        }
        self.init(header: EtcdResponseHeader(wire.header), succeeded: wire.succeeded ?? false, responses: responses)
    }
}
