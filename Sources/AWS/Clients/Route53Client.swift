import Logging

/// Amazon Route 53 (REST-XML, global, signed for `us-east-1`): health checks and latency or failover records.
public struct Route53Client: Sendable {
    /// The signed-request layer.
    public let client: AWSServiceClient
    static let namespace = "https://route53.amazonaws.com/doc/2013-04-01/"

    /// A client; Route 53 is global, so the configuration's region only matters for an endpoint override.
    public init(
        configuration: AWSClientConfiguration, transport: any AWSHTTPTransport = AsyncHTTPClientTransport(),
        logger: Logger = Logger(label: "aws")
    ) {
        client = AWSServiceClient(service: .route53, configuration: configuration, transport: transport, logger: logger)
    }

    /// `GetHealthCheckStatus`: what each Route 53 checker region last saw.
    public func getHealthCheckStatus(_ healthCheckID: String) async throws(AWSError) -> [HealthCheckObservation] {
        let tree = try await client.restXML(
            "GetHealthCheckStatus", method: "GET", path: "/2013-04-01/healthcheck/\(healthCheckID)/status")
        return (tree.child("HealthCheckObservations")?.children("HealthCheckObservation") ?? []).map {
            HealthCheckObservation(
                region: $0.string("Region"), ipAddress: $0.string("IPAddress"),
                status: $0.string("StatusReport", "Status") ?? "", checkedTime: $0.string("StatusReport", "CheckedTime")
            )
        }
    }

    /// `ListHealthChecks`, following `NextMarker` to the end.
    public func listHealthChecks() async throws(AWSError) -> [HealthCheckSummary] {
        var checks: [HealthCheckSummary] = []
        var marker: String?
        repeat {
            var query = [QueryParameter("maxitems", "100")]
            if let marker { query.insert(QueryParameter("marker", marker), at: 0) }
            let tree = try await client.restXML(
                "ListHealthChecks", method: "GET", path: "/2013-04-01/healthcheck", query: query)
            for check in tree.child("HealthChecks")?.children("HealthCheck") ?? [] {
                guard let id = check.string("Id") else {
                    throw AWSError(
                        .invalidResponse, "a health check without an Id", operation: "route53:ListHealthChecks")
                }
                checks.append(
                    HealthCheckSummary(
                        id: id, type: check.string("HealthCheckConfig", "Type"),
                        fullyQualifiedDomainName: check.string("HealthCheckConfig", "FullyQualifiedDomainName"),
                        resourcePath: check.string("HealthCheckConfig", "ResourcePath")))
            }
            marker = tree.string("IsTruncated") == "true" ? tree.string("NextMarker") : nil
        } while marker != nil
        return checks
    }

    /// `ChangeResourceRecordSets`: applies the changes atomically; returns the change's ID and status.
    public func changeResourceRecordSets(
        hostedZoneID: String, changes: [ResourceRecordSetChange], comment: String? = nil
    ) async throws(AWSError) -> ChangeInfo {
        let zone = hostedZoneID.hasPrefix("/hostedzone/") ? String(hostedZoneID.dropFirst(12)) : hostedZoneID
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        xml += "<ChangeResourceRecordSetsRequest xmlns=\"\(Self.namespace)\"><ChangeBatch>"
        if let comment { xml += element("Comment", comment) }
        xml += "<Changes>" + changes.map(\.xml).joined() + "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
        let tree = try await client.restXML(
            "ChangeResourceRecordSets", method: "POST", path: "/2013-04-01/hostedzone/\(zone)/rrset/", body: xml)
        guard let id = tree.string("ChangeInfo", "Id") else {
            throw AWSError(
                .invalidResponse, "no ChangeInfo in the response", operation: "route53:ChangeResourceRecordSets")
        }
        return ChangeInfo(id: id, status: tree.string("ChangeInfo", "Status") ?? "")
    }
}

/// One Route 53 checker's latest observation of a health check.
public struct HealthCheckObservation: Hashable, Sendable {
    /// The checker's region.
    public var region: String?
    /// The checker's address.
    public var ipAddress: String?
    /// The status text, such as `Success: HTTP Status Code 200, OK` or `Failure: …`.
    public var status: String
    /// When the checker last checked.
    public var checkedTime: String?

    /// Whether this checker saw the endpoint healthy.
    public var isHealthy: Bool { status.hasPrefix("Success") }

    /// An observation from its parts.
    public init(region: String?, ipAddress: String?, status: String, checkedTime: String?) {
        self.region = region
        self.ipAddress = ipAddress
        self.status = status
        self.checkedTime = checkedTime
    }
}

/// A health check as `ListHealthChecks` shows it.
public struct HealthCheckSummary: Hashable, Sendable {
    /// The health check's ID.
    public var id: String
    /// `HTTPS`, `HTTP`, `TCP`, `CALCULATED`, `CLOUDWATCH_METRIC`, …
    public var type: String?
    /// The host name it checks.
    public var fullyQualifiedDomainName: String?
    /// The path it requests.
    public var resourcePath: String?

    /// A summary from its parts.
    public init(id: String, type: String?, fullyQualifiedDomainName: String?, resourcePath: String?) {
        self.id = id
        self.type = type
        self.fullyQualifiedDomainName = fullyQualifiedDomainName
        self.resourcePath = resourcePath
    }
}

/// The state of a submitted change batch.
public struct ChangeInfo: Hashable, Sendable {
    /// The change's ID (`/change/C…`).
    public var id: String
    /// `PENDING` or `INSYNC`.
    public var status: String

    /// A change's state from its parts.
    public init(id: String, status: String) {
        self.id = id
        self.status = status
    }
}

/// One change of a `ChangeResourceRecordSets` batch.
public struct ResourceRecordSetChange: Hashable, Sendable {
    /// `CREATE`, `DELETE` or `UPSERT`.
    public enum Action: String, Hashable, Sendable {
        case create = "CREATE"
        case delete = "DELETE"
        case upsert = "UPSERT"
    }

    /// What to do with the record set.
    public var action: Action
    /// The record set.
    public var recordSet: ResourceRecordSet

    /// A change from its parts.
    public init(_ action: Action, _ recordSet: ResourceRecordSet) {
        self.action = action
        self.recordSet = recordSet
    }

    var xml: String {
        "<Change>" + element("Action", action.rawValue) + recordSet.xml + "</Change>"
    }
}

/// A record set: plain, latency-routed (`region`) or failover (`failover`), with values or an alias target.
public struct ResourceRecordSet: Hashable, Sendable {
    /// The record's name, such as `api.example.com.`.
    public var name: String
    /// `A`, `AAAA`, `CNAME`, …
    public var type: String
    /// Tells apart records of the same name in a routing policy.
    public var setIdentifier: String?
    /// Latency routing: the AWS region this record serves.
    public var region: String?
    /// Failover routing: `PRIMARY` or `SECONDARY`.
    public var failover: String?
    /// Time to live in seconds (not for aliases).
    public var ttl: Int?
    /// The record values (not for aliases).
    public var values: [String]
    /// An alias to an AWS resource instead of values.
    public var aliasTarget: AliasTarget?
    /// The health check that takes the record out of answers when failing.
    public var healthCheckID: String?

    /// A record set; only the name and type have no default.
    public init(
        name: String, type: String, setIdentifier: String? = nil, region: String? = nil, failover: String? = nil,
        ttl: Int? = nil, values: [String] = [], aliasTarget: AliasTarget? = nil, healthCheckID: String? = nil
    ) {
        self.name = name
        self.type = type
        self.setIdentifier = setIdentifier
        self.region = region
        self.failover = failover
        self.ttl = ttl
        self.values = values
        self.aliasTarget = aliasTarget
        self.healthCheckID = healthCheckID
    }

    /// The members in the order of the API model's `ResourceRecordSet` shape, which Route 53 requires.
    var xml: String {
        var xml = "<ResourceRecordSet>" + element("Name", name) + element("Type", type)
        if let setIdentifier { xml += element("SetIdentifier", setIdentifier) }
        if let region { xml += element("Region", region) }
        if let failover { xml += element("Failover", failover) }
        if let ttl { xml += element("TTL", String(ttl)) }
        if !values.isEmpty {
            xml +=
                "<ResourceRecords>"
                + values.map { "<ResourceRecord>" + element("Value", $0) + "</ResourceRecord>" }
                .joined() + "</ResourceRecords>"
        }
        if let aliasTarget {
            xml +=
                "<AliasTarget>" + element("HostedZoneId", aliasTarget.hostedZoneID)
                + element("DNSName", aliasTarget.dnsName)
                + element("EvaluateTargetHealth", aliasTarget.evaluateTargetHealth ? "true" : "false")
                + "</AliasTarget>"
        }
        if let healthCheckID { xml += element("HealthCheckId", healthCheckID) }
        return xml + "</ResourceRecordSet>"
    }
}

/// The target of an alias record (a load balancer, an accelerator).
public struct AliasTarget: Hashable, Sendable {
    /// The target's hosted zone ID.
    public var hostedZoneID: String
    /// The target's DNS name.
    public var dnsName: String
    /// Whether Route 53 follows the target's health.
    public var evaluateTargetHealth: Bool

    /// An alias target from its parts.
    public init(hostedZoneID: String, dnsName: String, evaluateTargetHealth: Bool = true) {
        self.hostedZoneID = hostedZoneID
        self.dnsName = dnsName
        self.evaluateTargetHealth = evaluateTargetHealth
    }
}

private func element(_ name: String, _ text: String) -> String {
    "<\(name)>\(XMLEscaping.escape(text))</\(name)>"
}
