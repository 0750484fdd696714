import AWS
import Foundation
import Testing

/// Secrets Manager against moto.
@Suite struct SecretsManagerTests {
    @Test func getSecretValueAgainstMoto() async throws {
        try await withMotoServer { moto in
            _ = try await moto.boto3(
                """
                client("secretsmanager").create_secret(Name="portal/jwt-signing-key", SecretString='{"kid":"k1","key":"s3cr3t"}')
                """)
            let secrets = AWSSession(configuration: moto.configuration()).secretsManager()
            let value = try await secrets.getSecretValue("portal/jwt-signing-key")
            #expect(value.secretString == #"{"kid":"k1","key":"s3cr3t"}"#)
            #expect(value.name == "portal/jwt-signing-key")
            #expect(value.versionStages.contains("AWSCURRENT"))
            #expect(!"\(value)".contains("s3cr3t"))

            let missing = await #expect(throws: AWSError.self) { try await secrets.getSecretValue("portal/nothing") }
            #expect(missing?.code.rawValue == "ResourceNotFoundException")
        }
    }

    @Test func requestConformsToTheAPIModel() async throws {
        let transport = RecordingTransport(
            body:
                #"{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:portal/jwt-a1b2c3","Name":"portal/jwt","VersionId":"EXAMPLE1-90ab-cdef-fedc-ba987SECRET1","SecretBinary":"AAEC","VersionStages":["AWSPREVIOUS"],"CreatedDate":1523477145.713}"#
        )
        let value = try await recordingSession(transport).secretsManager().getSecretValue(
            "portal/jwt", versionStage: "AWSPREVIOUS")
        #expect(value.secretBinary == Data([0, 1, 2]))
        let request = try #require(transport.requests.first)
        #expect(
            try await APIModel.problems(with: request, service: "secretsmanager", operation: "GetSecretValue") == [])
    }
}
