import Logging

/// Amazon RDS (query protocol): Aurora Global Database membership, switchover and failover.
public struct RDSClient: Sendable {
    /// The signed-request layer.
    public let client: AWSServiceClient

    /// A client for the configuration's region (any region of the global cluster works for these calls).
    public init(
        configuration: AWSClientConfiguration, transport: any AWSHTTPTransport = AsyncHTTPClientTransport(),
        logger: Logger = Logger(label: "aws")
    ) {
        client = AWSServiceClient(service: .rds, configuration: configuration, transport: transport, logger: logger)
    }

    /// `DescribeGlobalClusters`, of one global cluster or all, following `Marker` to the end.
    public func describeGlobalClusters(identifier: String? = nil) async throws(AWSError) -> [GlobalCluster] {
        var clusters: [GlobalCluster] = []
        var marker: String?
        repeat {
            var parameters = QueryParameters()
            parameters.add("GlobalClusterIdentifier", identifier)
            parameters.add("Marker", marker)
            let result = try await client.query("DescribeGlobalClusters", parameters.parameters)
            for element in result.child("GlobalClusters")?.children("GlobalClusterMember") ?? [] {
                clusters.append(try GlobalCluster(element, operation: "DescribeGlobalClusters"))
            }
            marker = result.string("Marker").flatMap { $0.isEmpty ? nil : $0 }
        } while marker != nil
        return clusters
    }

    /// `SwitchoverGlobalCluster`: planned, no data loss; `target` is the secondary cluster's ARN.
    public func switchoverGlobalCluster(identifier: String, target: String) async throws(AWSError) -> GlobalCluster {
        var parameters = QueryParameters()
        parameters.add("GlobalClusterIdentifier", identifier)
        parameters.add("TargetDbClusterIdentifier", target)
        return try await globalCluster(
            in: client.query("SwitchoverGlobalCluster", parameters.parameters),
            operation: "SwitchoverGlobalCluster")
    }

    /// `FailoverGlobalCluster`: unplanned; with `allowDataLoss` it does not wait for the old primary.
    public func failoverGlobalCluster(identifier: String, target: String, allowDataLoss: Bool) async throws(AWSError)
        -> GlobalCluster
    {
        var parameters = QueryParameters()
        parameters.add("GlobalClusterIdentifier", identifier)
        parameters.add("TargetDbClusterIdentifier", target)
        parameters.add("AllowDataLoss", allowDataLoss ? "true" : "false")
        return try await globalCluster(
            in: client.query("FailoverGlobalCluster", parameters.parameters),
            operation: "FailoverGlobalCluster")
    }

    private func globalCluster(in result: XMLTree, operation: String) throws(AWSError) -> GlobalCluster {
        guard let element = result.child("GlobalCluster") else {
            throw AWSError(.invalidResponse, "no GlobalCluster in the response", operation: "rds:\(operation)")
        }
        return try GlobalCluster(element, operation: operation)
    }
}

/// An Aurora global database: its member clusters, which one writes, and any failover in progress.
public struct GlobalCluster: Hashable, Sendable {
    /// The global cluster's identifier.
    public var identifier: String
    /// Its ARN.
    public var arn: String?
    /// `available`, `failing-over`, `switching-over`, …
    public var status: String?
    /// The member clusters.
    public var members: [GlobalClusterMember]
    /// The failover or switchover in progress, if any.
    public var failoverState: FailoverState?

    /// A global cluster from its parts.
    public init(
        identifier: String, arn: String? = nil, status: String? = nil, members: [GlobalClusterMember],
        failoverState: FailoverState? = nil
    ) {
        self.identifier = identifier
        self.arn = arn
        self.status = status
        self.members = members
        self.failoverState = failoverState
    }

    init(_ element: XMLTree, operation: String) throws(AWSError) {
        guard let identifier = element.string("GlobalClusterIdentifier") else {
            throw AWSError(.invalidResponse, "a global cluster without an identifier", operation: "rds:\(operation)")
        }
        var members: [GlobalClusterMember] = []
        for member in element.child("GlobalClusterMembers")?.children("GlobalClusterMember") ?? [] {
            guard let arn = member.string("DBClusterArn") else {
                throw AWSError(.invalidResponse, "a member without DBClusterArn", operation: "rds:\(operation)")
            }
            members.append(
                GlobalClusterMember(
                    clusterArn: arn, isWriter: member.string("IsWriter") == "true",
                    synchronizationStatus: member.string("SynchronizationStatus"),
                    readers: member.child("Readers")?.children("member").map(\.text) ?? []))
        }
        self.init(
            identifier: identifier, arn: element.string("GlobalClusterArn"), status: element.string("Status"),
            members: members,
            failoverState: element.child("FailoverState").map {
                FailoverState(
                    status: $0.string("Status"), fromClusterArn: $0.string("FromDbClusterArn"),
                    toClusterArn: $0.string("ToDbClusterArn"),
                    isDataLossAllowed: $0.string("IsDataLossAllowed") == "true")
            })
    }
}

/// One regional cluster of a global database.
public struct GlobalClusterMember: Hashable, Sendable {
    /// The cluster's ARN, `arn:aws:rds:REGION:ACCOUNT:cluster:NAME`.
    public var clusterArn: String
    /// Whether this cluster is the primary (the one that accepts writes).
    public var isWriter: Bool
    /// `connected` or `pending-resync`, when AWS reports it.
    public var synchronizationStatus: String?
    /// On the writer: the ARNs of the secondary clusters that replicate from it (`Readers`).
    public var readers: [String]

    /// A member from its parts.
    public init(clusterArn: String, isWriter: Bool, synchronizationStatus: String? = nil, readers: [String] = []) {
        self.clusterArn = clusterArn
        self.isWriter = isWriter
        self.synchronizationStatus = synchronizationStatus
        self.readers = readers
    }

    /// The region, the fourth field of the ARN.
    public var region: String? { Self.region(ofClusterArn: clusterArn) }

    /// The region of a cluster ARN (`arn:aws:rds:REGION:ACCOUNT:cluster:NAME`), such as one of `readers`.
    public static func region(ofClusterArn arn: String) -> String? {
        let fields = arn.split(separator: ":", omittingEmptySubsequences: false)
        return fields.count >= 7 && !fields[3].isEmpty ? String(fields[3]) : nil
    }

    /// The cluster identifier, the last field of the ARN.
    public var clusterIdentifier: String? {
        let fields = clusterArn.split(separator: ":", omittingEmptySubsequences: false)
        return fields.count >= 7 ? String(fields[6]) : nil
    }
}

/// A failover or switchover of a global cluster that is under way.
public struct FailoverState: Hashable, Sendable {
    /// `pending`, `failing-over` or `cancelling`.
    public var status: String?
    /// The old primary.
    public var fromClusterArn: String?
    /// The new primary.
    public var toClusterArn: String?
    /// Whether this is a failover that may lose data (as opposed to a switchover).
    public var isDataLossAllowed: Bool
}
