import Failover

/// Everything the edge needs, read from a JSON file: listeners, the regions' endpoint groups, the latency table,
/// health checks and proxy timeouts. Every field has a default except `regions`.
///
/// ```json
/// { "port": 8000, "adminPort": 8001, "adminToken": "a long random secret", "primaryRegion": "us-east-1",
///   "regions": [ { "name": "us-east-1", "endpoints": [ { "url": "http://127.0.0.1:8081" } ] },
///                { "name": "eu-west-1", "dial": 100, "endpoints": [ { "url": "http://127.0.0.1:8082", "weight": 128 } ] } ],
///   "locationListeners": [ { "location": "eu", "port": 8010 } ],
///   "clientAffinity": "none",
///   "healthCheck": { "path": "/health/ready", "intervalMilliseconds": 250, "timeoutMilliseconds": 200,
///                    "failureThreshold": 3, "recoveryThreshold": 3 },
///   "connectTimeoutMilliseconds": 500, "responseTimeoutMilliseconds": 10000, "eventLoops": 2 }
/// ```
public struct EdgeConfiguration: Codable, Sendable, Equatable {
    /// Address of the entry listener.
    public var host: String = "127.0.0.1"
    /// Port of the entry listener; 0 picks a free one.
    public var port: Int = 8000
    /// Extra entry listeners, each of which stands for one client location.
    public var locationListeners: [LocationListener] = []
    /// Address of the admin API; keep it on loopback.
    public var adminHost: String = "127.0.0.1"
    /// Port of the admin API; 0 picks a free one.
    public var adminPort: Int = 8001
    /// The bearer token of the admin API. Without one the admin API is not started.
    public var adminToken: String?
    /// The region whose location is assumed for a client that names none; the first region when absent.
    public var primaryRegion: RegionName?
    /// One endpoint group per region. Required.
    public var regions: [RegionGroup]
    /// Client locations and one-way latencies between regions; by default the three lab regions.
    public var latencies: LatencyTable = .lab
    /// Whether one client address keeps going to the same region and endpoint while they stay healthy.
    public var clientAffinity: ClientAffinity = .none
    /// The active health checks of every endpoint.
    public var healthCheck: HealthCheck = HealthCheck()
    /// How long the edge waits for a connection to an endpoint.
    public var connectTimeoutMilliseconds: Int = 500
    /// How long the edge waits for an endpoint's response head.
    public var responseTimeoutMilliseconds: Int = 10_000
    /// Keep-alive connections the edge opens at most to each endpoint.
    public var connectionsPerEndpoint: Int = 64
    /// Request bodies of a known length up to this many bytes are buffered so that a retry can resend them;
    /// larger ones are streamed and retried only when the endpoint could not be reached at all.
    public var retryBufferBytes: Int = 65_536
    /// The proxy's event loop threads; absent: NIO's shared group, one per core. Fewer than the cores can serve
    /// more, with a shorter tail, when the edge shares its machine with the portal (`scripts/bench`).
    public var eventLoops: Int?

    /// A configuration with the given regions and every other field at its default.
    public init(regions: [RegionGroup]) {
        self.regions = regions
    }

    /// The region assumed for requests without a location.
    public var effectivePrimaryRegion: RegionName? { primaryRegion ?? regions.first?.name }

    /// Decodes the JSON form; absent keys take their defaults.

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = EdgeConfiguration(regions: [])
        self.regions = try container.decode([RegionGroup].self, forKey: .regions)
        self.host = try container.decodeIfPresent(String.self, forKey: .host) ?? defaults.host
        self.port = try container.decodeIfPresent(Int.self, forKey: .port) ?? defaults.port
        self.locationListeners =
            try container.decodeIfPresent([LocationListener].self, forKey: .locationListeners) ?? []
        self.adminHost = try container.decodeIfPresent(String.self, forKey: .adminHost) ?? defaults.adminHost
        self.adminPort = try container.decodeIfPresent(Int.self, forKey: .adminPort) ?? defaults.adminPort
        self.adminToken = try container.decodeIfPresent(String.self, forKey: .adminToken)
        self.primaryRegion = try container.decodeIfPresent(RegionName.self, forKey: .primaryRegion)
        self.latencies = try container.decodeIfPresent(LatencyTable.self, forKey: .latencies) ?? .lab
        self.clientAffinity =
            try container.decodeIfPresent(ClientAffinity.self, forKey: .clientAffinity) ?? .none
        self.healthCheck = try container.decodeIfPresent(HealthCheck.self, forKey: .healthCheck) ?? HealthCheck()
        self.connectTimeoutMilliseconds =
            try container.decodeIfPresent(Int.self, forKey: .connectTimeoutMilliseconds)
            ?? defaults.connectTimeoutMilliseconds
        self.responseTimeoutMilliseconds =
            try container.decodeIfPresent(Int.self, forKey: .responseTimeoutMilliseconds)
            ?? defaults.responseTimeoutMilliseconds
        self.connectionsPerEndpoint =
            try container.decodeIfPresent(Int.self, forKey: .connectionsPerEndpoint)
            ?? defaults.connectionsPerEndpoint
        self.retryBufferBytes =
            try container.decodeIfPresent(Int.self, forKey: .retryBufferBytes) ?? defaults.retryBufferBytes
        self.eventLoops = try container.decodeIfPresent(Int.self, forKey: .eventLoops)
    }
}

extension EdgeConfiguration {
    /// One region's endpoint group: its traffic dial and its endpoints.
    public struct RegionGroup: Codable, Sendable, Equatable {
        public var name: RegionName
        /// The share of the region's traffic that it receives, 0–100; the rest spills to the next nearest.
        public var dial: Int = 100
        public var endpoints: [Endpoint]

        /// A region group with a full dial unless told otherwise.
        public init(name: RegionName, dial: Int = 100, endpoints: [Endpoint]) {
            self.name = name
            self.dial = dial
            self.endpoints = endpoints
        }

        /// Decodes the JSON form; absent keys take their defaults.

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.name = try container.decode(RegionName.self, forKey: .name)
            self.dial = try container.decodeIfPresent(Int.self, forKey: .dial) ?? 100
            self.endpoints = try container.decode([Endpoint].self, forKey: .endpoints)
        }
    }

    /// One portal of a region, with its share of the region's traffic (weight 0–255, as in Global Accelerator).
    public struct Endpoint: Codable, Sendable, Equatable {
        /// Base URL, `http://host:port`.
        public var url: String
        public var weight: Int = 128

        /// An endpoint with the default weight 128 unless told otherwise.
        public init(url: String, weight: Int = 128) {
            self.url = url
            self.weight = weight
        }

        /// Decodes the JSON form; absent keys take their defaults.

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.url = try container.decode(String.self, forKey: .url)
            self.weight = try container.decodeIfPresent(Int.self, forKey: .weight) ?? 128
        }
    }

    /// An extra entry listener whose clients are all at `location` (a location such as `eu`, or a region name).
    public struct LocationListener: Codable, Sendable, Equatable {
        public var location: String
        /// 0 picks a free port.
        public var port: Int

        /// A listener for `location` on `port`.
        public init(location: String, port: Int) {
            self.location = location
            self.port = port
        }
    }

    /// Whether requests from one client address stick to one region and endpoint.
    public enum ClientAffinity: String, Codable, Sendable, Equatable {
        /// Every request is routed on its own.
        case none
        /// A hash of the client's IP address picks the region (under partial dials) and the endpoint.
        case sourceAddress
    }

    /// The active health check of every endpoint (Route 53 style, in milliseconds rather than seconds).
    public struct HealthCheck: Codable, Sendable, Equatable {
        public var path: String = "/health/ready"
        public var intervalMilliseconds: Int = 250
        public var timeoutMilliseconds: Int = 200
        /// Consecutive failures after which a healthy endpoint becomes unhealthy.
        public var failureThreshold: Int = 3
        /// Consecutive successes after which an unhealthy endpoint becomes healthy.
        public var recoveryThreshold: Int = 3

        /// The defaults: `GET /health/ready` every 250 ms, 200 ms timeout, thresholds 3 and 3.
        public init() {}

        /// Decodes the JSON form; absent keys take their defaults.

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = HealthCheck()
            path = try container.decodeIfPresent(String.self, forKey: .path) ?? defaults.path
            intervalMilliseconds =
                try container.decodeIfPresent(Int.self, forKey: .intervalMilliseconds) ?? defaults.intervalMilliseconds
            timeoutMilliseconds =
                try container.decodeIfPresent(Int.self, forKey: .timeoutMilliseconds) ?? defaults.timeoutMilliseconds
            failureThreshold =
                try container.decodeIfPresent(Int.self, forKey: .failureThreshold) ?? defaults.failureThreshold
            recoveryThreshold =
                try container.decodeIfPresent(Int.self, forKey: .recoveryThreshold) ?? defaults.recoveryThreshold
        }

        var interval: Duration { .milliseconds(intervalMilliseconds) }
        var timeout: Duration { .milliseconds(timeoutMilliseconds) }
    }
}
