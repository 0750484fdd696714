import AWS
import Failover
import Foundation
import Testing

/// The deployment configuration: defaults, JSON file, validation that names the bad key.
@Suite struct ConfigurationTests {
    static let groupARN =
        "arn:aws:globalaccelerator::123456789012:accelerator/1234abcd/listener/0123vxyz/endpoint-group/098765zyxwvu"

    @Test func defaultsAreValid() throws {
        let configuration = AWSDeploymentConfiguration()
        try configuration.validate()
        #expect(configuration.controlRegion == "us-east-1")
        #expect(configuration.replicationLagWindowSeconds == 300)
    }

    @Test func jsonFileKeepsDefaultsForAbsentKeys() throws {
        let json =
            #"{"globalClusterIdentifier": "portal-global", "endpointGroupARNs": {"eu-west-1": "\#(Self.groupARN)"}}"#
        let configuration = try JSONDecoder().decode(AWSDeploymentConfiguration.self, from: Data(json.utf8))
        try configuration.validate()
        #expect(configuration.globalClusterIdentifier == "portal-global")
        #expect(configuration.endpointGroupARNs["eu-west-1"] == Self.groupARN)
        #expect(configuration.controlRegion == "us-east-1")
    }

    @Test func unknownKeysAreRejected() {
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(AWSDeploymentConfiguration.self, from: Data(#"{"globalCluster": "x"}"#.utf8))
        }
    }

    @Test(arguments: [
        (AWSDeploymentConfiguration(globalClusterIdentifier: "1bad"), "globalClusterIdentifier '1bad'"),
        (AWSDeploymentConfiguration(controlRegion: "Mars"), "controlRegion 'Mars'"),
        (AWSDeploymentConfiguration(endpointGroupARNs: ["eu-west-1": "arn:aws:elb:x"]), "endpointGroupARNs[eu-west-1]"),
        (
            AWSDeploymentConfiguration(endpointGroupARNs: ["EU": ConfigurationTests.groupARN]),
            "endpointGroupARNs key 'EU'"
        ),
        (AWSDeploymentConfiguration(endpointURL: "localhost:5000"), "endpointURL 'localhost:5000'"),
        (AWSDeploymentConfiguration(replicationLagWindowSeconds: -1), "replicationLagWindowSeconds '-1'"),
    ])
    func validateNamesTheBadKey(configuration: AWSDeploymentConfiguration, expected: String) {
        let error = #expect(throws: FailoverError.self) { try configuration.validate() }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix(expected) == true, "\(error?.message ?? "")")
    }

    @Test func endpointURLsParse() throws {
        #expect(
            try AWSEndpoint(url: "http://127.0.0.1:5000") == AWSEndpoint(scheme: "http", host: "127.0.0.1", port: 5000))
        #expect(throws: AWSError.self) { try AWSEndpoint(url: "ftp://example.com") }
    }
}
