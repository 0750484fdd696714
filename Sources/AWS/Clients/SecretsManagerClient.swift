import Foundation
import Logging

/// AWS Secrets Manager (JSON 1.1): reads secrets such as the shared JWT signing keys.
public struct SecretsManagerClient: Sendable {
    /// The signed-request layer.
    public let client: AWSServiceClient

    /// A client for the configuration's region.
    public init(
        configuration: AWSClientConfiguration, transport: any AWSHTTPTransport = AsyncHTTPClientTransport(),
        logger: Logger = Logger(label: "aws")
    ) {
        client = AWSServiceClient(
            service: .secretsManager, configuration: configuration, transport: transport, logger: logger)
    }

    /// `GetSecretValue` of a secret's name or ARN, at a version stage (by default `AWSCURRENT`).
    public func getSecretValue(_ secretID: String, versionStage: String? = nil) async throws(AWSError) -> SecretValue {
        try await client.json("GetSecretValue", Request(secretId: secretID, versionStage: versionStage))
    }

    struct Request: Encodable {
        let secretId: String
        let versionStage: String?
        enum CodingKeys: String, CodingKey {
            case secretId = "SecretId"
            case versionStage = "VersionStage"
        }
    }
}

/// A secret's value. Its description hides the value, so it is safe to log.
public struct SecretValue: Decodable, Hashable, Sendable, CustomStringConvertible {
    /// The secret's ARN.
    public var arn: String?
    /// The secret's name.
    public var name: String?
    /// The version that was read.
    public var versionID: String?
    /// The stages of that version (`AWSCURRENT`, …).
    public var versionStages: [String]
    /// The value, when stored as text.
    public var secretString: String?
    /// The value, when stored as bytes.
    public var secretBinary: Data?

    enum CodingKeys: String, CodingKey {
        case arn = "ARN"
        case name = "Name"
        case versionID = "VersionId"
        case versionStages = "VersionStages"
        case secretString = "SecretString"
        case secretBinary = "SecretBinary"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        arn = try container.decodeIfPresent(String.self, forKey: .arn)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        versionID = try container.decodeIfPresent(String.self, forKey: .versionID)
        versionStages = try container.decodeIfPresent([String].self, forKey: .versionStages) ?? []
        secretString = try container.decodeIfPresent(String.self, forKey: .secretString)
        secretBinary = try container.decodeIfPresent(String.self, forKey: .secretBinary).flatMap {
            Data(base64Encoded: $0)
        }
    }

    public var description: String {
        "SecretValue(name: \(name ?? "?"), versionID: \(versionID ?? "?"), value: <redacted>)"
    }
}
