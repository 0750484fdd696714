import Foundation

/// Credentials that can change while the process runs (temporary ones that expire), asked for at every request.
public protocol AWSCredentialsProvider: Sendable {
    /// Credentials valid for a request sent now.
    func credentials() async throws(AWSError) -> AWSCredentials
}

/// The credentials of an ECS task's role, from the container credentials endpoint that ECS gives every task
/// (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` on `169.254.170.2`, or `AWS_CONTAINER_CREDENTIALS_FULL_URI` with
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN`). They are temporary: kept until five minutes before they expire, then
/// fetched again.
public actor ContainerCredentials: AWSCredentialsProvider {
    /// Where the credentials are fetched.
    public nonisolated let endpoint: AWSEndpoint
    /// The path (and query) on the endpoint.
    public nonisolated let path: String
    let authorization: String?
    let transport: any AWSHTTPTransport
    let now: @Sendable () -> Date
    var cached: (credentials: AWSCredentials, expiration: Date)?

    /// A provider for the endpoint `url`; `authorization` is sent as the `Authorization` header when given.
    public init(
        url: String, authorization: String? = nil, transport: any AWSHTTPTransport = AsyncHTTPClientTransport(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws(AWSError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host
        else {
            throw AWSError(.invalidConfiguration, "container credentials URL '\(url)' is not an http(s) URL")
        }
        self.endpoint = AWSEndpoint(scheme: scheme, host: host, port: components.port)
        self.path = components.percentEncodedPath.isEmpty ? "/" : components.path
        self.authorization = authorization
        self.transport = transport
        self.now = now
    }

    /// The provider ECS describes in `variables`; nil when they name no container credentials endpoint.
    public static func fromEnvironment(_ variables: [String: String]) throws(AWSError) -> ContainerCredentials? {
        let nonEmpty = { (name: String) in variables[name].flatMap { $0.isEmpty ? nil : $0 } }
        var authorization = nonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        if authorization == nil, let file = nonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
            let data = FileManager.default.contents(atPath: file)
        {
            authorization = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let relative = nonEmpty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            return try ContainerCredentials(url: "http://169.254.170.2" + relative, authorization: authorization)
        }
        if let full = nonEmpty("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            return try ContainerCredentials(url: full, authorization: authorization)
        }
        return nil
    }

    /// What the endpoint answers (the AWS SDKs' shape).
    struct Answer: Decodable {
        var accessKeyID: String
        var secretAccessKey: String
        var token: String?
        var expiration: String?

        enum CodingKeys: String, CodingKey {
            case accessKeyID = "AccessKeyId", secretAccessKey = "SecretAccessKey", token = "Token"
            case expiration = "Expiration"
        }
    }

    public func credentials() async throws(AWSError) -> AWSCredentials {
        if let cached, now().addingTimeInterval(5 * 60) < cached.expiration { return cached.credentials }
        var request = AWSHTTPRequest(
            method: "GET", scheme: endpoint.scheme, host: endpoint.host, port: endpoint.port, path: path)
        if let authorization { request.headers["authorization"] = authorization }
        let response: AWSHTTPResponse
        do {
            response = try await transport.send(request, timeout: .seconds(5))
        } catch {
            throw AWSError(
                .missingCredentials, "the container credentials endpoint \(endpoint) did not answer: \(error)")
        }
        guard (200..<300).contains(response.statusCode),
            let answer = try? JSONDecoder().decode(Answer.self, from: response.body)
        else {
            throw AWSError(
                .missingCredentials,
                "the container credentials endpoint \(endpoint) answered HTTP \(response.statusCode) without credentials"
            )
        }
        let credentials = AWSCredentials(
            accessKeyID: answer.accessKeyID, secretAccessKey: answer.secretAccessKey, sessionToken: answer.token)
        // Without an expiration (not what ECS sends) the credentials are asked for again within a minute.
        let expiration =
            answer.expiration.flatMap { ISO8601DateFormatter().date(from: $0) } ?? now().addingTimeInterval(6 * 60)
        cached = (credentials, expiration)
        return credentials
    }
}
