/// How every AWS client connects: credentials, region, an optional endpoint override and a timeout.
public struct AWSClientConfiguration: Sendable {
    /// The credentials that sign every request (unless `credentialsProvider` is set).
    public var credentials: AWSCredentials
    /// Where temporary credentials are asked for at every request (an ECS task's role); wins over `credentials`.
    public var credentialsProvider: (any AWSCredentialsProvider)?
    /// The region to call (ignored by global services such as Route 53).
    public var region: String
    /// Sends every service's requests here instead of AWS (a local emulator such as moto), when set.
    public var endpointOverride: AWSEndpoint?
    /// The time allowed for one request, response included.
    public var timeout: Duration

    /// A configuration; only the credentials have no default.
    public init(
        credentials: AWSCredentials, region: String = "us-east-1", endpointOverride: AWSEndpoint? = nil,
        timeout: Duration = .seconds(30)
    ) {
        self.credentials = credentials
        self.region = region
        self.endpointOverride = endpointOverride
        self.timeout = timeout
    }

    /// Credentials and region from `environment` (variables, then `~/.aws/credentials` and `~/.aws/config`, then
    /// an ECS task's container credentials endpoint); `region` and `endpointOverride` win over what the environment
    /// says.
    public static func fromEnvironment(
        _ environment: AWSEnvironment = AWSEnvironment(), region: String? = nil, endpointOverride: AWSEndpoint? = nil
    ) throws(AWSError) -> AWSClientConfiguration {
        let region = region ?? environment.region() ?? "us-east-1"
        do {
            return AWSClientConfiguration(
                credentials: try environment.credentials(), region: region, endpointOverride: endpointOverride)
        } catch {
            guard let container = try ContainerCredentials.fromEnvironment(environment.variables) else { throw error }
            var configuration = AWSClientConfiguration(
                credentials: AWSCredentials(accessKeyID: "", secretAccessKey: ""), region: region,
                endpointOverride: endpointOverride)
            configuration.credentialsProvider = container
            return configuration
        }
    }

    /// The same configuration for another region.
    public func inRegion(_ region: String) -> AWSClientConfiguration {
        var copy = self
        copy.region = region
        return copy
    }
}

/// The keys of the metadata this module puts on log messages.
public enum AWSLogMetadata {
    /// The API operation, such as `rds:DescribeGlobalClusters`.
    public static let operation = "aws.operation"
    /// The region the request was signed for.
    public static let region = "aws.region"
    /// The HTTP status of the response.
    public static let status = "aws.status"
    /// The AWS error code of a failed request.
    public static let errorCode = "aws.error_code"
}
