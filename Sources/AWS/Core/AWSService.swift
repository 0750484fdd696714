/// What identifies one AWS API: its signing name, endpoint prefix, API version and JSON target prefix.
public struct AWSService: Hashable, Sendable {
    /// The SigV4 signing name (`rds`, `monitoring`, `globalaccelerator`).
    public var signingName: String
    /// The first label of the endpoint host.
    public var endpointPrefix: String
    /// The API version (`2014-10-31`): the query protocol's `Version`, and REST-XML's path prefix.
    public var apiVersion: String
    /// The JSON protocol's `X-Amz-Target` prefix.
    public var targetPrefix: String?
    /// The one endpoint host of a global service (Route 53), which always signs for `us-east-1`.
    public var globalHost: String?

    /// A service from its identifiers.
    public init(
        signingName: String, endpointPrefix: String, apiVersion: String, targetPrefix: String? = nil,
        globalHost: String? = nil
    ) {
        self.globalHost = globalHost
        self.signingName = signingName
        self.endpointPrefix = endpointPrefix
        self.apiVersion = apiVersion
        self.targetPrefix = targetPrefix
    }

    /// AWS Global Accelerator (JSON 1.1). Its API is served from `us-west-2` only.
    public static let globalAccelerator = AWSService(
        signingName: "globalaccelerator", endpointPrefix: "globalaccelerator", apiVersion: "2018-08-08",
        targetPrefix: "GlobalAccelerator_V20180706")
    /// Amazon Route 53 (REST-XML), a global service signed for `us-east-1`.
    public static let route53 = AWSService(
        signingName: "route53", endpointPrefix: "route53", apiVersion: "2013-04-01",
        globalHost: "route53.amazonaws.com")
    /// Amazon CloudWatch (query protocol).
    public static let cloudWatch = AWSService(
        signingName: "monitoring", endpointPrefix: "monitoring", apiVersion: "2010-08-01")
    /// Amazon RDS (query protocol).
    public static let rds = AWSService(signingName: "rds", endpointPrefix: "rds", apiVersion: "2014-10-31")
    /// AWS Secrets Manager (JSON 1.1).
    public static let secretsManager = AWSService(
        signingName: "secretsmanager", endpointPrefix: "secretsmanager", apiVersion: "2017-10-17",
        targetPrefix: "secretsmanager")
}
