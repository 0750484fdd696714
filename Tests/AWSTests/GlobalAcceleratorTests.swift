import AWS
import Failover
import Foundation
import Testing

/// Global Accelerator: moto implements none of it, so requests are captured and checked against the API model,
/// and responses are the documented shapes.
@Suite struct GlobalAcceleratorTests {
    static let useARN =
        "arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh/listener/0123vxyz/endpoint-group/098765zyxwvu"
    static let euwARN =
        "arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh/listener/0123vxyz/endpoint-group/ab88888example"
    static let listenerARN =
        "arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh/listener/0123vxyz"

    /// A `DescribeEndpointGroup`/`UpdateEndpointGroup` response as documented in the API reference.
    static func endpointGroupResponse(arn: String, region: String, dial: Double, health: String) -> String {
        #"{"EndpointGroup": "# + endpointGroup(arn: arn, region: region, dial: dial, health: health) + "}"
    }

    /// One `EndpointGroup` object of the API model.
    static func endpointGroup(arn: String, region: String, dial: Double, health: String) -> String {
        """
        {"EndpointGroupArn": "\(arn)", "EndpointGroupRegion": "\(region)",
          "EndpointDescriptions": [{"EndpointId": "arn:aws:elasticloadbalancing:\(region):123456789012:loadbalancer/app/portal/1a2b3c",
            "Weight": 128, "HealthState": "\(health)", "ClientIPPreservationEnabled": true}],
          "TrafficDialPercentage": \(dial), "HealthCheckPort": 443, "HealthCheckProtocol": "HTTPS",
          "HealthCheckPath": "/health/ready", "HealthCheckIntervalSeconds": 10, "ThresholdCount": 3}
        """
    }

    static func fakeAccelerator() -> RecordingTransport {
        RecordingTransport { request in
            let input = (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any]
            let text: String
            switch jsonOperation(request) {
            case "ListEndpointGroups":
                text = """
                    {"EndpointGroups": [
                      \(endpointGroup(arn: useARN, region: "us-east-1", dial: 100, health: "HEALTHY")),
                      \(endpointGroup(arn: euwARN, region: "eu-west-1", dial: 0, health: "UNHEALTHY"))
                    ]}
                    """
            case _ where input?["EndpointGroupArn"] as? String == euwARN:
                text = endpointGroupResponse(arn: euwARN, region: "eu-west-1", dial: 0, health: "UNHEALTHY")
            default:
                text = endpointGroupResponse(arn: useARN, region: "us-east-1", dial: 100, health: "HEALTHY")
            }
            return AWSHTTPResponse(statusCode: 200, body: Data(text.utf8))
        }
    }

    @Test func describeReadsTheDocumentedResponse() async throws {
        let transport = Self.fakeAccelerator()
        let group = try await recordingSession(transport).globalAccelerator().describeEndpointGroup(arn: Self.useARN)
        #expect(group.arn == Self.useARN)
        #expect(group.region == "us-east-1")
        #expect(group.trafficDialPercentage == 100)
        #expect(group.endpoints.first?.healthState == "HEALTHY")
        let request = try #require(transport.requests.first)
        #expect(request.host == "globalaccelerator.us-west-2.amazonaws.com")
        #expect(request.headers["authorization"]?.contains("/us-west-2/globalaccelerator/aws4_request") == true)
        #expect(
            try await APIModel.problems(with: request, service: "globalaccelerator", operation: "DescribeEndpointGroup")
                == []
        )
    }

    @Test func trafficManagerSetsTheDialWithUpdateEndpointGroup() async throws {
        let transport = Self.fakeAccelerator()
        let manager = AWSTrafficManager(
            configuration: AWSDeploymentConfiguration(endpointGroupARNs: [
                "us-east-1": Self.useARN, "eu-west-1": Self.euwARN,
            ]),
            session: recordingSession(transport))
        try await manager.setTrafficDial(try #require(TrafficDial(rawValue: 25)), for: "eu-west-1")
        let request = try #require(transport.requests.last)
        #expect(jsonOperation(request) == "UpdateEndpointGroup")
        let body = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
        #expect(body["EndpointGroupArn"] as? String == Self.euwARN)
        #expect(body["TrafficDialPercentage"] as? Double == 25)
        #expect(body.count == 2, "only the dial changes; endpoints and health checks stay")
        #expect(
            try await APIModel.problems(with: request, service: "globalaccelerator", operation: "UpdateEndpointGroup")
                == [])
    }

    @Test func trafficManagerReportsEveryRegionsDialAndHealth() async throws {
        let transport = Self.fakeAccelerator()
        let manager = AWSTrafficManager(
            configuration: AWSDeploymentConfiguration(endpointGroupARNs: [
                "us-east-1": Self.useARN, "eu-west-1": Self.euwARN,
            ]),
            session: recordingSession(transport))
        let groups = try await manager.endpointGroups()
        #expect(
            groups == [
                EndpointGroupStatus(region: "eu-west-1", dial: .off, healthy: false),
                EndpointGroupStatus(region: "us-east-1", dial: .full, healthy: true),
            ])
    }

    @Test func listenerDiscoveryUsesListEndpointGroups() async throws {
        let transport = Self.fakeAccelerator()
        let manager = AWSTrafficManager(
            configuration: AWSDeploymentConfiguration(listenerARN: Self.listenerARN),
            session: recordingSession(transport))
        let arns = try await manager.endpointGroupARNs()
        #expect(arns == ["us-east-1": Self.useARN, "eu-west-1": Self.euwARN])
        let request = try #require(transport.requests.first)
        #expect(jsonOperation(request) == "ListEndpointGroups")
        #expect(
            try await APIModel.problems(with: request, service: "globalaccelerator", operation: "ListEndpointGroups")
                == [])
    }

    @Test func unknownRegionIsRejectedWithoutACall() async throws {
        let transport = Self.fakeAccelerator()
        let manager = AWSTrafficManager(
            configuration: AWSDeploymentConfiguration(endpointGroupARNs: ["us-east-1": Self.useARN]),
            session: recordingSession(transport))
        let error = await #expect(throws: FailoverError.self) {
            try await manager.setTrafficDial(.off, for: "ap-south-1")
        }
        #expect(error?.code == .unknownRegion)
        #expect(transport.requests.isEmpty)
    }

    @Test func awsErrorsBecomeFailoverErrorsWithTheAWSCode() async throws {
        let transport = RecordingTransport(
            status: 400,
            body:
                #"{"__type":"com.amazonaws.globalaccelerator#EndpointGroupNotFoundException","Message":"no such group"}"#
        )
        let manager = AWSTrafficManager(
            configuration: AWSDeploymentConfiguration(endpointGroupARNs: ["us-east-1": Self.useARN]),
            session: recordingSession(transport))
        let error = await #expect(throws: FailoverError.self) { try await manager.endpointGroups() }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("EndpointGroupNotFoundException: no such group") == true)
    }

    @Test func modelCheckerCatchesAMisnamedMember() async throws {
        // The checker must fail on a wrong request, or its passes mean nothing.
        let wrong = AWSHTTPRequest(
            method: "POST", host: "globalaccelerator.us-west-2.amazonaws.com",
            headers: [
                "content-type": "application/x-amz-json-1.1",
                "x-amz-target": "GlobalAccelerator_V20180706.UpdateEndpointGroup",
            ],
            body: Data(#"{"EndpointGroupARN":"x","TrafficDial":"50"}"#.utf8))
        let problems = try await APIModel.problems(
            with: wrong, service: "globalaccelerator", operation: "UpdateEndpointGroup")
        #expect(problems.contains { $0.contains("EndpointGroupArn") })
        #expect(problems.contains { $0.contains("TrafficDial") })
    }
}
