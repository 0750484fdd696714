import Logging

/// One set of credentials, endpoint override, transport and logger, from which every service client is made.
public struct AWSSession: Sendable {
    /// Credentials, default region, endpoint override and timeout.
    public var configuration: AWSClientConfiguration
    /// How requests are sent (AsyncHTTPClient, or a recording transport in tests).
    public var transport: any AWSHTTPTransport
    /// Where clients log (request names and statuses only, never credentials or payloads).
    public var logger: Logger

    /// A session from its parts.
    public init(
        configuration: AWSClientConfiguration, transport: any AWSHTTPTransport = AsyncHTTPClientTransport(),
        logger: Logger = Logger(label: "aws")
    ) {
        self.configuration = configuration
        self.transport = transport
        self.logger = logger
    }

    /// An RDS client for a region (the session's region by default).
    public func rds(region: String? = nil) -> RDSClient {
        RDSClient(configuration: configured(region), transport: transport, logger: logger)
    }

    /// A CloudWatch client for a region.
    public func cloudWatch(region: String? = nil) -> CloudWatchClient {
        CloudWatchClient(configuration: configured(region), transport: transport, logger: logger)
    }

    /// A Secrets Manager client for a region.
    public func secretsManager(region: String? = nil) -> SecretsManagerClient {
        SecretsManagerClient(configuration: configured(region), transport: transport, logger: logger)
    }

    /// The Global Accelerator client (always `us-west-2`).
    public func globalAccelerator() -> GlobalAcceleratorClient {
        GlobalAcceleratorClient(configuration: configuration, transport: transport, logger: logger)
    }

    /// The Route 53 client (global).
    public func route53() -> Route53Client {
        Route53Client(configuration: configuration, transport: transport, logger: logger)
    }

    private func configured(_ region: String?) -> AWSClientConfiguration {
        region.map { configuration.inRegion($0) } ?? configuration
    }
}
