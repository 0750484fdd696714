import Foundation

/// Finds credentials and the region the way the AWS CLI does, from one place: environment variables
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_PROFILE`) first, then the
/// shared files `~/.aws/credentials` and `~/.aws/config` (or `AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`).
public struct AWSEnvironment: Sendable {
    /// The environment variables consulted.
    public var variables: [String: String]
    /// The home directory that holds `.aws/`.
    public var homeDirectory: String

    /// The process's environment, or a given one (tests).
    public init(variables: [String: String] = ProcessInfo.processInfo.environment, homeDirectory: String? = nil) {
        self.variables = variables
        self.homeDirectory = homeDirectory ?? variables["HOME"] ?? NSHomeDirectory()
    }

    /// The profile in use: `AWS_PROFILE`, `AWS_DEFAULT_PROFILE`, or `default`.
    public var profile: String {
        nonEmpty("AWS_PROFILE") ?? nonEmpty("AWS_DEFAULT_PROFILE") ?? "default"
    }

    /// The credentials: the environment's key pair if both halves are set, else the profile's in the credentials
    /// file, else in the config file. Throws `MissingCredentials` naming where it looked.
    public func credentials() throws(AWSError) -> AWSCredentials {
        if let keyID = nonEmpty("AWS_ACCESS_KEY_ID"), let secret = nonEmpty("AWS_SECRET_ACCESS_KEY") {
            return AWSCredentials(
                accessKeyID: keyID, secretAccessKey: secret, sessionToken: nonEmpty("AWS_SESSION_TOKEN"))
        }
        let sources = [credentialsFile?.credentialsProfile(profile), configFile?.configProfile(profile)]
        for case let keys? in sources {
            if let keyID = keys["aws_access_key_id"], let secret = keys["aws_secret_access_key"] {
                return AWSCredentials(
                    accessKeyID: keyID, secretAccessKey: secret, sessionToken: keys["aws_session_token"])
            }
        }
        throw AWSError(
            .missingCredentials,
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile '\(profile)' to "
                + credentialsPath)
    }

    /// The region: `AWS_REGION`, `AWS_DEFAULT_REGION`, or the profile's `region` in the config file.
    public func region() -> String? {
        nonEmpty("AWS_REGION") ?? nonEmpty("AWS_DEFAULT_REGION") ?? configFile?.configProfile(profile)?["region"]
    }

    var credentialsPath: String {
        nonEmpty("AWS_SHARED_CREDENTIALS_FILE") ?? homeDirectory + "/.aws/credentials"
    }

    var configPath: String { nonEmpty("AWS_CONFIG_FILE") ?? homeDirectory + "/.aws/config" }

    var credentialsFile: SharedConfigFile? { Self.read(credentialsPath) }
    var configFile: SharedConfigFile? { Self.read(configPath) }

    static func read(_ path: String) -> SharedConfigFile? {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else { return nil }
        return SharedConfigFile(parsing: text)
    }

    func nonEmpty(_ name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }
}
