import AWS
import Foundation
import Testing

/// Credentials and region from environment variables and the shared files.
@Suite struct CredentialsTests {
    /// A home directory with `.aws/credentials` and `.aws/config`, removed afterwards.
    func withHome<Result>(credentials: String, config: String, _ body: (String) throws -> Result) throws -> Result {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("aws-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: home.appendingPathComponent(".aws"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try Data(credentials.utf8).write(to: home.appendingPathComponent(".aws/credentials"))
        try Data(config.utf8).write(to: home.appendingPathComponent(".aws/config"))
        return try body(home.path)
    }

    static let credentialsFile = """
        # shared credentials
        [default]
        aws_access_key_id = AKIADEFAULT
        aws_secret_access_key = defaultsecret

        [drill]
        aws_access_key_id=AKIADRILL
        aws_secret_access_key=drillsecret
        aws_session_token = drilltoken
        """
    static let configFile = """
        [default]
        region = us-east-1
        [profile drill]
        region = eu-west-1
        s3 =
            max_concurrent_requests = 2
        [profile configonly]
        aws_access_key_id = AKIACONFIG
        aws_secret_access_key = configsecret
        """

    @Test func environmentVariablesWin() throws {
        try withHome(credentials: Self.credentialsFile, config: Self.configFile) { (home: String) throws in
            let environment = AWSEnvironment(
                variables: [
                    "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "envsecret",
                    "AWS_SESSION_TOKEN": "envtoken",
                    "AWS_REGION": "ap-south-1",
                ], homeDirectory: home)
            let credentials = try environment.credentials()
            #expect(
                credentials
                    == AWSCredentials(accessKeyID: "AKIAENV", secretAccessKey: "envsecret", sessionToken: "envtoken"))
            #expect(environment.region() == "ap-south-1")
        }
    }

    @Test func profileSelectsTheSharedFileSections() throws {
        try withHome(credentials: Self.credentialsFile, config: Self.configFile) { (home: String) throws in
            let drill = AWSEnvironment(variables: ["AWS_PROFILE": "drill"], homeDirectory: home)
            let drillCredentials = try drill.credentials()
            #expect(
                drillCredentials
                    == AWSCredentials(
                        accessKeyID: "AKIADRILL", secretAccessKey: "drillsecret", sessionToken: "drilltoken"))
            #expect(drill.region() == "eu-west-1")
            let plain = AWSEnvironment(variables: [:], homeDirectory: home)
            let plainCredentials = try plain.credentials()
            #expect(plainCredentials.accessKeyID == "AKIADEFAULT")
            #expect(plain.region() == "us-east-1")
            let configOnly = AWSEnvironment(variables: ["AWS_PROFILE": "configonly"], homeDirectory: home)
            let configCredentials = try configOnly.credentials()
            #expect(configCredentials.accessKeyID == "AKIACONFIG")
        }
    }

    @Test func missingCredentialsNameTheProfile() throws {
        try withHome(credentials: "", config: "") { (home: String) throws in
            let environment = AWSEnvironment(variables: ["AWS_PROFILE": "nope"], homeDirectory: home)
            let error = #expect(throws: AWSError.self) { try environment.credentials() }
            #expect(error?.code == .missingCredentials)
            #expect(error?.message.contains("'nope'") == true)
        }
    }
}
