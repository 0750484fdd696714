import AWS
import Failover
import Foundation
import Testing

/// `drctl controller` on AWS: which mode a command line picks, and every flag and variable parsed and checked,
/// each bad value a one-line error that names it.
@Suite struct AWSReplicaConfigurationTests {
    static let token = "0123456789abcdef0123"
    static let listener = "arn:aws:globalaccelerator::123456789012:accelerator/1234/listener/abcd"

    /// The configuration the Terraform's command line gives us-east-1's replica in a three-region deployment.
    static func terraformLike() throws -> AWSReplicaConfiguration {
        var configuration = AWSReplicaConfiguration(region: "us-east-1")
        try configuration.setEtcdEndpoints("http://10.10.16.10:2379,http://10.20.16.10:2379,http://10.30.16.10:2379")
        try configuration.setPeers(
            "eu-west-1=http://ctl-euw1.elb.test:8090,ap-southeast-2=http://ctl-apse2.elb.test:8090")
        for region in ["us-east-1", "eu-west-1", "ap-southeast-2"] {
            try configuration.addPortalURL("\(region)=https://portal-\(region).elb.test")
        }
        configuration.advertiseURL = "http://ctl-use1.elb.test:8090"
        configuration.host = "0.0.0.0"
        configuration.deployment = AWSDeploymentConfiguration(
            globalClusterIdentifier: "customer-portal", listenerARN: listener, controlRegion: "us-east-1")
        configuration.readSecrets(from: [
            "DRCTL_CONTROL_TOKEN": token, "DRCTL_LEASE_SIGNING_KEY": LeaseSignature.newPrivateKey(),
        ])
        return configuration
    }

    /// The one-line message `body` fails with; nil when it succeeds.
    static func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return (error as? FailoverError)?.message ?? "not a FailoverError: \(error)"
        }
    }

    @Test func terraformCommandLineIsValidAndDerivesTheRegions() throws {
        let configuration = try Self.terraformLike()
        try configuration.validate()
        #expect(configuration.regions == ["ap-southeast-2", "eu-west-1", "us-east-1"])
        #expect(configuration.replicaURLs["us-east-1"] == "http://ctl-use1.elb.test:8090")
        #expect(configuration.replicaURLs["eu-west-1"] == "http://ctl-euw1.elb.test:8090")
        #expect(configuration.etcdEndpoints.count == 3)
        #expect(configuration.port == 8090)
    }

    @Test func modeIsLabWithDirAndAWSWithEtcdEndpoints() throws {
        #expect(try AWSReplicaConfiguration.runsOnAWS(labDirectory: ".drlab", awsFlags: []) == false)
        #expect(try AWSReplicaConfiguration.runsOnAWS(labDirectory: nil, awsFlags: ["--etcd-endpoints", "--port"]))
    }

    @Test func mixingDirWithEtcdEndpointsNamesTheFlag() {
        let mixed = Self.message {
            _ = try AWSReplicaConfiguration.runsOnAWS(labDirectory: ".drlab", awsFlags: ["--etcd-endpoints"])
        }
        #expect(mixed?.hasPrefix("--etcd-endpoints is for a replica on AWS") == true)
        let neither = Self.message { _ = try AWSReplicaConfiguration.runsOnAWS(labDirectory: nil, awsFlags: []) }
        #expect(neither?.hasPrefix("--etcd-endpoints is required without --dir") == true)
        let partial = Self.message {
            _ = try AWSReplicaConfiguration.runsOnAWS(labDirectory: nil, awsFlags: ["--peers"])
        }
        #expect(partial?.hasPrefix("--etcd-endpoints is required") == true)
    }

    @Test func badPeerIsNamed() {
        var configuration = AWSReplicaConfiguration(region: "us-east-1")
        #expect(Self.message { try configuration.setPeers("x") } == "--peers 'x' must be REGION=URL")
        #expect(
            Self.message { try configuration.setPeers("Mars=http://a:1") }
                == "--peers 'Mars' is not a region name such as eu-west-1")
        #expect(
            Self.message { try configuration.setPeers("eu-west-1=ftp://a") }
                == "--peers 'ftp://a' is not of the form http(s)://host[:port]")
        #expect(
            Self.message { try configuration.setEtcdEndpoints("http://a:2379,") }
                == "--etcd-endpoints '' is not of the form http(s)://host[:port]")
        #expect(
            Self.message { try configuration.addPortalURL("eu-west-1") }
                == "--portal-url 'eu-west-1' must be REGION=URL")
    }

    @Test func ownRegionAmongPeersIsRefused() throws {
        var configuration = try Self.terraformLike()
        try configuration.setPeers("us-east-1=http://a:8090,eu-west-1=http://b:8090")
        #expect(
            Self.message { try configuration.validate() }?.hasPrefix("--peers names this replica's own region") == true)
    }

    @Test func missingTokenRefusesToStart() throws {
        var configuration = try Self.terraformLike()
        configuration.readSecrets(from: [:])
        #expect(Self.message { try configuration.validate() }?.hasPrefix("DRCTL_CONTROL_TOKEN is not set") == true)
        configuration.readSecrets(from: ["DRCTL_CONTROL_TOKEN": "short"])
        #expect(Self.message { try configuration.validate() } == "DRCTL_CONTROL_TOKEN is shorter than 16 characters")
        configuration.readSecrets(from: ["DRCTL_CONTROL_TOKEN": Self.token + "\n"])
        #expect(Self.message { try configuration.validate() }?.contains("whitespace") == true)
        // Without a signing key the replica starts (answers unsigned); a key that is not one is refused.
        configuration.readSecrets(from: ["DRCTL_CONTROL_TOKEN": Self.token])
        try configuration.validate()
        configuration.readSecrets(from: ["DRCTL_CONTROL_TOKEN": Self.token, "DRCTL_LEASE_SIGNING_KEY": "bm90IGEga2V5"])
        let error = Self.message { try configuration.validate() }
        #expect(error?.hasPrefix("DRCTL_LEASE_SIGNING_KEY is not a base64 raw Ed25519 private key") == true)
        #expect(error?.contains("bm90IGEga2V5") == false)
    }

    @Test func everyRegionNeedsItsPortalURL() throws {
        var configuration = try Self.terraformLike()
        configuration.portalURLs["ap-southeast-2"] = nil
        #expect(
            Self.message { try configuration.validate() }
                == "--portal-url: no URL for ap-southeast-2 (give --portal-url ap-southeast-2=https://…)")
        try configuration.addPortalURL("ap-southeast-2=https://a.test")
        try configuration.addPortalURL("sa-east-1=https://b.test")
        #expect(
            Self.message { try configuration.validate() }
                == "--portal-url names sa-east-1, which is neither --region nor one of --peers")
    }

    @Test func theAWSDeploymentMustNameTheClusterAndTheDials() throws {
        var configuration = try Self.terraformLike()
        configuration.deployment.listenerARN = nil
        #expect(
            Self.message { try configuration.validate() }?.hasPrefix("--listener or --endpoint-group is required")
                == true)
        configuration.deployment.globalClusterIdentifier = nil
        #expect(Self.message { try configuration.validate() }?.hasPrefix("--global-cluster is required") == true)
        configuration.deployment.globalClusterIdentifier = "9-bad"
        #expect(Self.message { try configuration.validate() }?.hasPrefix("globalClusterIdentifier '9-bad'") == true)
    }

    @Test func badListenValuesAreNamed() throws {
        var configuration = try Self.terraformLike()
        configuration.port = 0
        #expect(Self.message { try configuration.validate() } == "--port '0' must be within 1...65535")
        configuration.port = 8090
        configuration.portalTLSName = "portal example"
        #expect(
            Self.message { try configuration.validate() } == "--portal-tls-name 'portal example' is not a host name")
    }

    @Test func settingsFileAppliesKeysAndNamesBadOnes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func file(_ text: String) throws -> String {
            let url = folder.appendingPathComponent("\(UUID().uuidString).json")
            try Data(text.utf8).write(to: url)
            return url.path
        }
        var configuration = try Self.terraformLike()
        try configuration.loadSettings(
            fromFile: try file(
                #"{"probe-interval": "1s", "probe-timeout": "2s", "failure-threshold": 4, "mode": "manual"}"#))
        #expect(configuration.settings.probeInterval == .seconds(1))
        #expect(configuration.settings.probeTimeout == .seconds(2))
        #expect(configuration.settings.failureThreshold == 4)
        #expect(configuration.settings.mode == .manual)
        try configuration.validate()

        let unknown = try file(#"{"probe-intervall": "1s"}"#)
        #expect(
            Self.message { try configuration.loadSettings(fromFile: unknown) }?
                .hasPrefix("--settings '\(unknown)': probe-intervall: not a controller setting") == true)
        let wrong = try file(#"{"mode": true}"#)
        #expect(
            Self.message { try configuration.loadSettings(fromFile: wrong) }?
                .hasPrefix("--settings '\(wrong)' is not a JSON object of controller settings") == true)
        #expect(
            Self.message { try configuration.loadSettings(fromFile: "/nonexistent/settings.json") }
                == "--settings '/nonexistent/settings.json' cannot be read")
        // A failed load leaves the settings as they were.
        #expect(configuration.settings.mode == .manual)
    }
}
