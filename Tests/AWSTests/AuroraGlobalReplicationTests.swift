import AWS
import Failover
import Foundation
import Testing

/// Aurora Global Database: membership and roles against moto; switchover and failover (which moto does not
/// implement) captured and checked against the RDS API model, with documented response shapes.
@Suite struct AuroraGlobalReplicationTests {
    static let primaryARN = "arn:aws:rds:us-east-1:123456789012:cluster:portal-use1"
    static let secondaryARN = "arn:aws:rds:eu-west-1:123456789012:cluster:portal-euw1"

    static func globalClusterXML(status: String, failoverState: String = "") -> String {
        """
        <GlobalCluster>
          <GlobalClusterIdentifier>portal-global</GlobalClusterIdentifier>
          <GlobalClusterResourceId>cluster-1a2b3c4d</GlobalClusterResourceId>
          <GlobalClusterArn>arn:aws:rds::123456789012:global-cluster:portal-global</GlobalClusterArn>
          <Status>\(status)</Status>
          <Engine>aurora-postgresql</Engine>
          <GlobalClusterMembers>
            <GlobalClusterMember><DBClusterArn>\(primaryARN)</DBClusterArn>
              <Readers><member>\(secondaryARN)</member></Readers><IsWriter>true</IsWriter></GlobalClusterMember>
            <GlobalClusterMember><DBClusterArn>\(secondaryARN)</DBClusterArn><Readers/><IsWriter>false</IsWriter>
              <SynchronizationStatus>connected</SynchronizationStatus></GlobalClusterMember>
          </GlobalClusterMembers>
          \(failoverState)
        </GlobalCluster>
        """
    }

    static func response(_ operation: String, _ result: String) -> String {
        """
        <\(operation)Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
          <\(operation)Result>\(result)</\(operation)Result>
          <ResponseMetadata><RequestId>5e3b1c9a-0000-4000-8000-000000000000</RequestId></ResponseMetadata>
        </\(operation)Response>
        """
    }

    /// Answers DescribeGlobalClusters with both members, and the failover calls with a failover under way.
    static func fakeRDS() -> RecordingTransport { RecordingTransport(fakeRDSAnswer) }

    static func fakeRDSAnswer(_ request: AWSHTTPRequest) -> AWSHTTPResponse {
        let action = queryAction(request) ?? ""
        let pending = """
            <FailoverState><Status>pending</Status><FromDbClusterArn>\(primaryARN)</FromDbClusterArn>
            <ToDbClusterArn>\(secondaryARN)</ToDbClusterArn>
            <IsDataLossAllowed>\(action == "FailoverGlobalCluster")</IsDataLossAllowed></FailoverState>
            """
        let body =
            action == "DescribeGlobalClusters"
            ? response(
                action,
                "<GlobalClusters>"
                    + globalClusterXML(status: "available").replacingOccurrences(
                        of: "<GlobalCluster>", with: "<GlobalClusterMember>"
                    ).replacingOccurrences(
                        of: "</GlobalCluster>", with: "</GlobalClusterMember>") + "</GlobalClusters>")
            : response(action, globalClusterXML(status: "failing-over", failoverState: pending))
        return AWSHTTPResponse(statusCode: 200, body: Data(body.utf8))
    }

    static let configuration = AWSDeploymentConfiguration(
        globalClusterIdentifier: "portal-global", replicationLagWindowSeconds: 0)

    @Test func aForcedPromotionIsFailoverGlobalClusterAllowingDataLoss() async throws {
        let transport = Self.fakeRDS()
        let replication = try AuroraGlobalReplication(
            configuration: Self.configuration, session: recordingSession(transport))
        try await replication.promote("eu-west-1", allowingDataLoss: true)
        let request = try #require(transport.requests.last)
        #expect(queryAction(request) == "FailoverGlobalCluster")
        let form = String(decoding: request.body, as: UTF8.self)
        #expect(form.contains("AllowDataLoss=true"))
        #expect(form.contains("TargetDbClusterIdentifier=" + AWSURIEncoding.encode(Self.secondaryARN)))
        #expect(try await APIModel.problems(with: request, service: "rds", operation: "FailoverGlobalCluster") == [])
    }

    @Test func aPromotionThatMayNotLoseWritesIsASwitchover() async throws {
        let transport = Self.fakeRDS()
        let replication = try AuroraGlobalReplication(
            configuration: Self.configuration, session: recordingSession(transport))
        try await replication.promote("eu-west-1", allowingDataLoss: false)
        let request = try #require(transport.requests.last)
        #expect(queryAction(request) == "SwitchoverGlobalCluster")
        #expect(!String(decoding: request.body, as: UTF8.self).contains("AllowDataLoss"))
        #expect(transport.requests.allSatisfy { queryAction($0) != "FailoverGlobalCluster" })
    }

    @Test func aPromotionWithoutLossThatAuroraCannotDoIsRefusedWithTheForcedCommand() async throws {
        let transport = RecordingTransport { request in
            guard queryAction(request) == "DescribeGlobalClusters" else {
                return AWSHTTPResponse(
                    statusCode: 400,
                    body: Data(
                        """
                        <ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type>
                        <Code>InvalidGlobalClusterStateFault</Code><Message>primary cluster unavailable</Message></Error>
                        <RequestId>abc</RequestId></ErrorResponse>
                        """.utf8))
            }
            return Self.fakeRDSAnswer(request)
        }
        let replication = try AuroraGlobalReplication(
            configuration: Self.configuration, session: recordingSession(transport))
        let error = await #expect(throws: FailoverError.self) {
            try await replication.promote("eu-west-1", allowingDataLoss: false)
        }
        #expect(error?.code == .refused)
        #expect(error?.message.contains("drctl failover --to eu-west-1 --force") == true)
        #expect(transport.requests.allSatisfy { queryAction($0) != "FailoverGlobalCluster" })
    }

    @Test func switchoverIsSwitchoverGlobalCluster() async throws {
        let transport = Self.fakeRDS()
        let replication = try AuroraGlobalReplication(
            configuration: Self.configuration, session: recordingSession(transport))
        try await replication.switchover(to: "eu-west-1")
        let request = try #require(transport.requests.last)
        #expect(queryAction(request) == "SwitchoverGlobalCluster")
        #expect(try await APIModel.problems(with: request, service: "rds", operation: "SwitchoverGlobalCluster") == [])
        #expect(
            try await APIModel.problems(
                with: transport.requests[0], service: "rds", operation: "DescribeGlobalClusters")
                == [])
    }

    @Test func promotingThePrimaryOrAStrangerSendsNoFailover() async throws {
        let transport = Self.fakeRDS()
        let replication = try AuroraGlobalReplication(
            configuration: Self.configuration, session: recordingSession(transport))
        try await replication.promote("us-east-1", allowingDataLoss: true)
        let error = await #expect(throws: FailoverError.self) { try await replication.switchover(to: "ap-south-1") }
        #expect(error?.code == .unknownRegion)
        #expect(transport.requests.allSatisfy { queryAction($0) == "DescribeGlobalClusters" })
    }

    @Test func failoverResponseParsesTheFailoverState() async throws {
        let transport = Self.fakeRDS()
        let cluster = try await recordingSession(transport).rds()
            .failoverGlobalCluster(identifier: "portal-global", target: Self.secondaryARN, allowDataLoss: true)
        #expect(cluster.status == "failing-over")
        #expect(cluster.failoverState?.toClusterArn == Self.secondaryARN)
        #expect(cluster.failoverState?.isDataLossAllowed == true)
        #expect(cluster.members.map(\.region) == ["us-east-1", "eu-west-1"])
        #expect(cluster.members.last?.synchronizationStatus == "connected")
    }

    @Test func invalidStateIsARefusal() async throws {
        let transport = RecordingTransport(
            status: 400,
            body: """
                <ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type>
                <Code>InvalidGlobalClusterStateFault</Code><Message>Global cluster is switching over</Message></Error>
                <RequestId>abc</RequestId></ErrorResponse>
                """)
        let replication = try AuroraGlobalReplication(
            configuration: Self.configuration, session: recordingSession(transport))
        let error = await #expect(throws: FailoverError.self) {
            try await replication.promote("eu-west-1", allowingDataLoss: true)
        }
        #expect(error?.code == .refused)
        #expect(error?.message.contains("InvalidGlobalClusterStateFault") == true)
    }

    /// moto: a global cluster with a writer in us-east-1 and a secondary in eu-west-1, made with boto3.
    static func createGlobalCluster(on moto: MotoServer) async throws {
        _ = try await moto.boto3(
            """
            east, west = client("rds", "us-east-1"), client("rds", "eu-west-1")
            east.create_global_cluster(GlobalClusterIdentifier="portal-global", Engine="aurora-postgresql", EngineVersion="15.4")
            east.create_db_cluster(DBClusterIdentifier="portal-use1", Engine="aurora-postgresql", EngineVersion="15.4",
                GlobalClusterIdentifier="portal-global", MasterUsername="portal", MasterUserPassword="not-a-secret-1")
            west.create_db_cluster(DBClusterIdentifier="portal-euw1", Engine="aurora-postgresql", EngineVersion="15.4",
                GlobalClusterIdentifier="portal-global")
            """)
    }

    @Test func describeGlobalClustersAndRolesAgainstMoto() async throws {
        try await withMotoServer { moto in
            try await Self.createGlobalCluster(on: moto)
            let session = AWSSession(configuration: moto.configuration())
            let clusters = try await session.rds().describeGlobalClusters(identifier: "portal-global")
            let cluster = try #require(clusters.first { $0.identifier == "portal-global" })
            #expect(cluster.members.map(\.clusterArn).sorted() == [Self.secondaryARN, Self.primaryARN])
            #expect(cluster.members.first { $0.isWriter }?.region == "us-east-1")

            // The secondary's lag metric, published where Aurora publishes it: AWS/RDS in the secondary's region.
            try await session.cloudWatch(region: "eu-west-1").putMetricData(
                namespace: "AWS/RDS",
                [
                    MetricDatum(
                        metricName: "AuroraGlobalDBReplicationLag", value: 850, unit: "Milliseconds",
                        dimensions: [MetricDimension("DBClusterIdentifier", "portal-euw1")], timestamp: Date())
                ])
            let replication = try AuroraGlobalReplication(
                configuration: AWSDeploymentConfiguration(globalClusterIdentifier: "portal-global"), session: session)
            let statuses = try await replication.replicationStatus()
            #expect(statuses.map(\.region) == ["eu-west-1", "us-east-1"])
            #expect(statuses.map(\.role) == [.standby, .primary])
            #expect(statuses.first?.lagSeconds == 0.85)
            try await replication.rejoin("eu-west-1")
            let refused = await #expect(throws: FailoverError.self) { try await replication.rejoin("us-east-1") }
            #expect(refused?.code == .refused)
            let absent = await #expect(throws: FailoverError.self) { try await replication.rejoin("ap-south-1") }
            #expect(absent?.code == .notSupported)
            #expect(absent?.message.contains("Aurora rejoins a former primary by itself") == true)
        }
    }

    @Test func missingGlobalClusterIsReportedByName() async throws {
        try await withMotoServer { moto in
            let session = AWSSession(configuration: moto.configuration())
            let replication = try AuroraGlobalReplication(
                configuration: AWSDeploymentConfiguration(globalClusterIdentifier: "nothing-here"), session: session)
            let error = await #expect(throws: FailoverError.self) { try await replication.replicationStatus() }
            #expect(error?.message.contains("nothing-here") == true)
        }
    }
}
