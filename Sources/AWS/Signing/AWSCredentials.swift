/// An AWS access key pair, with the session token of temporary credentials.
///
/// The description never shows the secret key or the token, so a credentials value can be logged safely.
public struct AWSCredentials: Hashable, Sendable, CustomStringConvertible {
    /// The access key ID (`AKIA…` or `ASIA…`); not secret on its own.
    public var accessKeyID: String
    /// The secret access key; never logged.
    public var secretAccessKey: String
    /// The session token of temporary (STS) credentials; never logged.
    public var sessionToken: String?

    /// Credentials from their parts.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String {
        "AWSCredentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>\(sessionToken == nil ? "" : ", sessionToken: <redacted>"))"
    }
}
