import Logging

/// AWS Global Accelerator endpoint groups (JSON 1.1, target prefix `GlobalAccelerator_V20180706`).
/// The API lives in `us-west-2` whatever regions the endpoint groups serve.
public struct GlobalAcceleratorClient: Sendable {
    /// The signed-request layer.
    public let client: AWSServiceClient

    /// A client; the region is forced to `us-west-2`, the only region that serves this API.
    public init(
        configuration: AWSClientConfiguration, transport: any AWSHTTPTransport = AsyncHTTPClientTransport(),
        logger: Logger = Logger(label: "aws")
    ) {
        client = AWSServiceClient(
            service: .globalAccelerator, configuration: configuration.inRegion("us-west-2"), transport: transport,
            logger: logger)
    }

    /// A client over an existing signed-request layer.
    public init(client: AWSServiceClient) { self.client = client }

    /// `DescribeEndpointGroup`.
    public func describeEndpointGroup(arn: String) async throws(AWSError) -> EndpointGroup {
        try await client.json("DescribeEndpointGroup", EndpointGroupReference(endpointGroupArn: arn), as: Wrapped.self)
            .endpointGroup
    }

    /// `UpdateEndpointGroup`, changing only the traffic dial (endpoints and health checks are left as they are).
    public func updateTrafficDial(endpointGroupArn arn: String, percentage: Double) async throws(AWSError)
        -> EndpointGroup
    {
        try await client.json(
            "UpdateEndpointGroup", TrafficDialUpdate(endpointGroupArn: arn, trafficDialPercentage: percentage),
            as: Wrapped.self
        ).endpointGroup
    }

    /// `ListEndpointGroups` of a listener, following `NextToken` to the end.
    public func listEndpointGroups(listenerArn: String) async throws(AWSError) -> [EndpointGroup] {
        var groups: [EndpointGroup] = []
        var token: String?
        repeat {
            let page = try await client.json(
                "ListEndpointGroups", ListRequest(listenerArn: listenerArn, maxResults: 100, nextToken: token),
                as: ListPage.self)
            groups += page.endpointGroups ?? []
            token = page.nextToken
        } while token != nil
        return groups
    }

    struct EndpointGroupReference: Encodable {
        let endpointGroupArn: String
        enum CodingKeys: String, CodingKey { case endpointGroupArn = "EndpointGroupArn" }
    }

    struct TrafficDialUpdate: Encodable {
        let endpointGroupArn: String
        let trafficDialPercentage: Double
        enum CodingKeys: String, CodingKey {
            case endpointGroupArn = "EndpointGroupArn"
            case trafficDialPercentage = "TrafficDialPercentage"
        }
    }

    struct ListRequest: Encodable {
        let listenerArn: String
        let maxResults: Int
        let nextToken: String?
        enum CodingKeys: String, CodingKey {
            case listenerArn = "ListenerArn"
            case maxResults = "MaxResults"
            case nextToken = "NextToken"
        }
    }

    struct Wrapped: Decodable {
        let endpointGroup: EndpointGroup
        enum CodingKeys: String, CodingKey { case endpointGroup = "EndpointGroup" }
    }

    struct ListPage: Decodable {
        let endpointGroups: [EndpointGroup]?
        let nextToken: String?
        enum CodingKeys: String, CodingKey {
            case endpointGroups = "EndpointGroups"
            case nextToken = "NextToken"
        }
    }
}

/// A Global Accelerator endpoint group: the endpoints of one region behind a listener, and its traffic dial.
public struct EndpointGroup: Decodable, Hashable, Sendable {
    /// The group's ARN.
    public var arn: String
    /// The AWS region of the group's endpoints.
    public var region: String?
    /// The share of the region's traffic the group receives, 0–100.
    public var trafficDialPercentage: Double?
    /// The endpoints and their health.
    public var endpoints: [EndpointDescription]

    /// An endpoint group from its parts.
    public init(arn: String, region: String?, trafficDialPercentage: Double?, endpoints: [EndpointDescription]) {
        self.arn = arn
        self.region = region
        self.trafficDialPercentage = trafficDialPercentage
        self.endpoints = endpoints
    }

    enum CodingKeys: String, CodingKey {
        case arn = "EndpointGroupArn"
        case region = "EndpointGroupRegion"
        case trafficDialPercentage = "TrafficDialPercentage"
        case endpoints = "EndpointDescriptions"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        arn = try container.decode(String.self, forKey: .arn)
        region = try container.decodeIfPresent(String.self, forKey: .region)
        trafficDialPercentage = try container.decodeIfPresent(Double.self, forKey: .trafficDialPercentage)
        endpoints = try container.decodeIfPresent([EndpointDescription].self, forKey: .endpoints) ?? []
    }
}

/// One endpoint of an endpoint group (a load balancer, instance or Elastic IP) and Global Accelerator's verdict.
public struct EndpointDescription: Decodable, Hashable, Sendable {
    /// The endpoint's ID (an ARN for load balancers).
    public var endpointID: String?
    /// `INITIAL`, `HEALTHY` or `UNHEALTHY`.
    public var healthState: String?
    /// Why, when not healthy.
    public var healthReason: String?
    /// The endpoint's weight within the group.
    public var weight: Int?

    /// An endpoint from its parts.
    public init(endpointID: String?, healthState: String?, healthReason: String? = nil, weight: Int? = nil) {
        self.endpointID = endpointID
        self.healthState = healthState
        self.healthReason = healthReason
        self.weight = weight
    }

    enum CodingKeys: String, CodingKey {
        case endpointID = "EndpointId"
        case healthState = "HealthState"
        case healthReason = "HealthReason"
        case weight = "Weight"
    }
}
