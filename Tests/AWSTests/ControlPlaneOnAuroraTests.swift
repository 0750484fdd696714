import AWS
import Failover
import Foundation
import Testing

/// What a control-plane replica on AWS reads from Aurora (its initial primary, the roles) and what its failover
/// actions do there: against moto where moto has the call, else against documented response shapes.
@Suite struct ControlPlaneOnAuroraTests {
    static let regions: [RegionName] = ["eu-west-1", "us-east-1"]

    static func replication(_ moto: MotoServer, cluster: String = "portal-global") throws -> AuroraGlobalReplication {
        try AuroraGlobalReplication(
            configuration: AWSDeploymentConfiguration(globalClusterIdentifier: cluster, replicationLagWindowSeconds: 0),
            session: AWSSession(configuration: moto.configuration()))
    }

    /// An RDS whose global cluster is in the middle of a failover from us-east-1 to eu-west-1, with eu-west-1
    /// `pending-resync` (documented shapes; moto cannot fail over).
    static func failingOverRDS() -> RecordingTransport {
        RecordingTransport { _ in
            let xml = """
                <GlobalClusterMember>
                  <GlobalClusterIdentifier>portal-global</GlobalClusterIdentifier>
                  <Status>failing-over</Status>
                  <GlobalClusterMembers>
                    <GlobalClusterMember><DBClusterArn>\(AuroraGlobalReplicationTests.primaryARN)</DBClusterArn>
                      <Readers><member>\(AuroraGlobalReplicationTests.secondaryARN)</member></Readers>
                      <IsWriter>true</IsWriter></GlobalClusterMember>
                    <GlobalClusterMember><DBClusterArn>\(AuroraGlobalReplicationTests.secondaryARN)</DBClusterArn>
                      <Readers/><IsWriter>false</IsWriter>
                      <SynchronizationStatus>pending-resync</SynchronizationStatus></GlobalClusterMember>
                  </GlobalClusterMembers>
                  <FailoverState><Status>failing-over</Status>
                    <FromDbClusterArn>\(AuroraGlobalReplicationTests.primaryARN)</FromDbClusterArn>
                    <ToDbClusterArn>\(AuroraGlobalReplicationTests.secondaryARN)</ToDbClusterArn>
                    <IsDataLossAllowed>true</IsDataLossAllowed></FailoverState>
                </GlobalClusterMember>
                """
            let body = AuroraGlobalReplicationTests.response(
                "DescribeGlobalClusters", "<GlobalClusters>\(xml)</GlobalClusters>")
            return AWSHTTPResponse(statusCode: 200, body: Data(body.utf8))
        }
    }

    @Test func initialPrimaryIsAurorasWriterWhenEtcdHoldsNoState() async throws {
        try await withMotoServer { moto in
            try await AuroraGlobalReplicationTests.createGlobalCluster(on: moto)
            let replication = try Self.replication(moto)
            #expect(try await replication.primaryRegion() == "us-east-1")
            let initial = try await AWSInitialPrimary.resolve(
                regions: Self.regions, stored: { nil }, aurora: { try await replication.primaryRegion() })
            #expect(initial == AWSInitialPrimary(region: "us-east-1", source: .aurora))
            // etcd unreadable (a cluster still forming): Aurora's writer is the truth it would hold anyway.
            let unreadable = try await AWSInitialPrimary.resolve(
                regions: Self.regions, stored: { throw FailoverError(.providerFailure, "no etcd majority") },
                aurora: { try await replication.primaryRegion() })
            #expect(unreadable.region == "us-east-1")
            // A writer in a region the control plane does not have is a configuration error, named.
            let error = await #expect(throws: FailoverError.self) {
                try await AWSInitialPrimary.resolve(
                    regions: ["eu-west-1", "ap-southeast-2"], stored: { nil },
                    aurora: { try await replication.primaryRegion() })
            }
            #expect(error?.message.hasPrefix("Aurora's writer is in us-east-1, which is not one") == true)
        }
    }

    @Test func etcdStateWinsWithoutAskingAurora() async throws {
        let initial = try await AWSInitialPrimary.resolve(
            regions: Self.regions, stored: { "eu-west-1" },
            aurora: { throw FailoverError(.providerFailure, "must not be asked") })
        #expect(initial == AWSInitialPrimary(region: "eu-west-1", source: .etcd))
    }

    @Test func noStateAndNoAuroraRefusesToStart() async throws {
        try await withMotoServer { moto in
            // No global cluster of that name: Aurora cannot name a writer.
            let replication = try Self.replication(moto, cluster: "nothing-here")
            let error = await #expect(throws: FailoverError.self) {
                try await AWSInitialPrimary.resolve(
                    regions: Self.regions, stored: { nil }, aurora: { try await replication.primaryRegion() })
            }
            let message = try #require(error?.message)
            #expect(message.hasPrefix("etcd holds no control-plane state yet and Aurora's writer cannot be read"))
            #expect(message.contains("nothing-here"))
            #expect(message.hasSuffix("not starting rather than guessing the primary"))
            #expect(!message.contains("\n"))
        }
        let unreachable = try AuroraGlobalReplication(
            configuration: AWSDeploymentConfiguration(globalClusterIdentifier: "portal-global"),
            session: AWSSession(
                configuration: AWSClientConfiguration(
                    credentials: MotoServer.credentials,
                    endpointOverride: AWSEndpoint(scheme: "http", host: "127.0.0.1", port: try freeLoopbackPort()),
                    timeout: .seconds(2))))
        let error = await #expect(throws: FailoverError.self) {
            try await AWSInitialPrimary.resolve(
                regions: Self.regions, stored: { throw FailoverError(.providerFailure, "etcd down") },
                aurora: { try await unreachable.primaryRegion() })
        }
        #expect(error?.message.hasPrefix("etcd cannot be read (etcd down) and Aurora's writer cannot be read") == true)
    }

    @Test func failoverUnderWayDemotesTheOldWriterAndDropsTheResyncingReader() async throws {
        let replication = try AuroraGlobalReplication(
            configuration: AWSDeploymentConfiguration(
                globalClusterIdentifier: "portal-global", replicationLagWindowSeconds: 0),
            session: recordingSession(Self.failingOverRDS()))
        let databases = try await replication.databases()
        #expect(databases["us-east-1"]?.role == .primary)
        #expect(databases["us-east-1"]?.readOnly == true)
        #expect(databases["us-east-1"]?.streaming == [])
        #expect(databases["eu-west-1"]?.role == .standby)
        let statuses = try await replication.replicationStatus()
        #expect(statuses.map(\.region) == ["eu-west-1", "us-east-1"])
        #expect(statuses.map(\.role) == [.standby, .primary])
    }

    @Test func writerEndpointStepWaitsUntilAuroraNamesTheNewWriter() async throws {
        try await withMotoServer { moto in
            try await AuroraGlobalReplicationTests.createGlobalCluster(on: moto)
            let actions = AuroraFailoverActions(
                replication: try Self.replication(moto), writerWait: .milliseconds(600), writerPoll: .milliseconds(200))
            try await actions.moveWriterEndpoint(to: "us-east-1")
            let started = ContinuousClock.now
            let error = await #expect(throws: FailoverError.self) {
                try await actions.moveWriterEndpoint(to: "eu-west-1")
            }
            #expect(started.duration(to: .now) >= .milliseconds(350))
            #expect(
                error?.message.hasPrefix("Aurora does not name eu-west-1 the writer of 'portal-global' yet") == true)
        }
    }

    @Test func theOtherActionsActOnNothingAndSaySo() async throws {
        let transport = RecordingTransport(status: 500, body: "")
        let replication = try AuroraGlobalReplication(
            configuration: AWSDeploymentConfiguration(globalClusterIdentifier: "portal-global"),
            session: recordingSession(transport))
        let actions = AuroraFailoverActions(replication: replication)
        try await actions.fenceDatabase("us-east-1")
        try await actions.repoint("ap-southeast-2", to: "eu-west-1")
        #expect(try await actions.prepareFailover(to: "eu-west-1") == [])
        #expect(await actions.writersStopped(in: "us-east-1") == false)
        #expect(await actions.synchronousDurability() == false)
        let error = await #expect(throws: FailoverError.self) {
            try await actions.setSynchronousCommit(false, primary: "us-east-1")
        }
        #expect(error?.code == .notSupported)
        #expect(transport.requests.isEmpty)
    }
}
