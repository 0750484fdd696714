import AWS
import Foundation
import Synchronization
import Testing

/// An ECS task's role credentials: fetched from the container credentials endpoint, kept until shortly before
/// they expire, and used to sign every request.
@Suite struct ContainerCredentialsTests {
    /// A clock the test moves.
    final class TestClock: Sendable {
        let date = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { date.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { date.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    /// The endpoint's answer, expiring an hour after `clock`'s start.
    static func endpoint(keyID: String = "ASIATASKROLE") -> RecordingTransport {
        RecordingTransport { _ in
            let body = """
                {"RoleArn": "arn:aws:iam::123456789012:role/portal-controller", "AccessKeyId": "\(keyID)",
                 "SecretAccessKey": "tasksecret", "Token": "tasktoken", "Expiration": "2027-01-15T09:00:00Z"}
                """
            return AWSHTTPResponse(statusCode: 200, body: Data(body.utf8))
        }
    }

    @Test func ecsVariablesNameTheEndpoint() throws {
        let relative = try #require(
            try ContainerCredentials.fromEnvironment(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"]))
        #expect(relative.endpoint.description == "http://169.254.170.2")
        #expect(relative.path == "/v2/credentials/abc")
        let full = try #require(
            try ContainerCredentials.fromEnvironment([
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:51679/creds",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "auth",
            ]))
        #expect(full.endpoint.description == "http://127.0.0.1:51679")
        #expect(try ContainerCredentials.fromEnvironment([:]) == nil)
        // Without keys or profiles, the configuration falls back to the container endpoint.
        let configuration = try AWSClientConfiguration.fromEnvironment(
            AWSEnvironment(
                variables: [
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc", "AWS_REGION": "eu-west-1",
                ],
                homeDirectory: "/nonexistent"))
        #expect(configuration.credentialsProvider != nil)
        #expect(configuration.region == "eu-west-1")
    }

    @Test func credentialsAreKeptUntilFiveMinutesBeforeTheyExpire() async throws {
        let transport = Self.endpoint()
        let clock = TestClock()
        clock.date.withLock { $0 = ISO8601DateFormatter().date(from: "2027-01-15T08:00:00Z")! }
        let provider = try ContainerCredentials(
            url: "http://127.0.0.1:51679/creds", authorization: "auth", transport: transport, now: { clock.now })
        let first = try await provider.credentials()
        #expect(first.accessKeyID == "ASIATASKROLE" && first.sessionToken == "tasktoken")
        #expect(transport.requests.first?.headers["authorization"] == "auth")
        #expect(transport.requests.first?.path == "/creds")
        clock.advance(50 * 60)
        _ = try await provider.credentials()
        #expect(transport.requests.count == 1)
        clock.advance(6 * 60)
        _ = try await provider.credentials()
        #expect(transport.requests.count == 2)
    }

    @Test func everyRequestIsSignedWithTheProvidersCredentials() async throws {
        let rds = RecordingTransport(
            status: 200, body: AuroraGlobalReplicationTests.response("DescribeGlobalClusters", ""))
        var configuration = AWSClientConfiguration(credentials: AWSCredentials(accessKeyID: "", secretAccessKey: ""))
        configuration.credentialsProvider = try ContainerCredentials(
            url: "http://169.254.170.2/v2/credentials/abc", transport: Self.endpoint())
        _ = try await AWSSession(configuration: configuration, transport: rds).rds().describeGlobalClusters()
        let request = try #require(rds.requests.first)
        #expect(request.headers["authorization"]?.contains("Credential=ASIATASKROLE/") == true)
        #expect(request.headers["x-amz-security-token"] == "tasktoken")
    }

    @Test func anEndpointWithoutCredentialsIsNamed() async throws {
        let provider = try ContainerCredentials(
            url: "http://169.254.170.2/v2/credentials/abc", transport: RecordingTransport(status: 403, body: "{}"))
        let error = await #expect(throws: AWSError.self) { try await provider.credentials() }
        #expect(error?.code == .missingCredentials)
        #expect(error?.description.contains("HTTP 403") == true)
    }
}
