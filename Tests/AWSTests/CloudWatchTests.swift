import AWS
import Foundation
import Testing

/// CloudWatch against moto: metrics, alarms and alarm state; request shapes against the API model.
@Suite struct CloudWatchTests {
    @Test func metricsAndAlarmStateAgainstMoto() async throws {
        try await withMotoServer { moto in
            let cloudWatch = AWSSession(configuration: moto.configuration(region: "eu-west-1")).cloudWatch()
            let now = Date()
            try await cloudWatch.putMetricData(
                namespace: "CustomerPortal/DR",
                [
                    MetricDatum(
                        metricName: "ProbeFailures", value: 3, unit: "Count",
                        dimensions: [MetricDimension("Region", "eu-west-1")], timestamp: now)
                ])
            let points = try await cloudWatch.getMetricStatistics(
                namespace: "CustomerPortal/DR", metricName: "ProbeFailures",
                dimensions: [MetricDimension("Region", "eu-west-1")], from: now.addingTimeInterval(-600),
                to: now.addingTimeInterval(60), periodSeconds: 60, statistic: "Sum")
            #expect(points.map(\.value) == [3])

            _ = try await moto.boto3(
                """
                client("cloudwatch", "eu-west-1").put_metric_alarm(AlarmName="portal-euw1-probes", Namespace="CustomerPortal/DR",
                    MetricName="ProbeFailures", Dimensions=[{"Name": "Region", "Value": "eu-west-1"}], Statistic="Sum",
                    Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
                """)
            // moto never evaluates alarms, so only the state set below is meaningful.
            #expect(try await cloudWatch.describeAlarms(names: ["portal-euw1-probes"]).first?.state != .alarm)
            try await cloudWatch.setAlarmState(name: "portal-euw1-probes", state: .alarm, reason: "drill: region down")
            let alarm = try #require(try await cloudWatch.describeAlarms(names: ["portal-euw1-probes"]).first)
            #expect(alarm.state == .alarm)
            #expect(alarm.stateReason == "drill: region down")
            #expect(alarm.metricName == "ProbeFailures")
            #expect(try await cloudWatch.describeAlarms().count == 1)
        }
    }

    @Test func requestsConformToTheAPIModel() async throws {
        let transport = RecordingTransport(
            body: """
                <DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
                <DescribeAlarmsResult><MetricAlarms/><CompositeAlarms/></DescribeAlarmsResult></DescribeAlarmsResponse>
                """)
        let cloudWatch = recordingSession(transport).cloudWatch()
        try await cloudWatch.putMetricData(
            namespace: "CustomerPortal/DR",
            [
                MetricDatum(
                    metricName: "FailoverSeconds", value: 12.5, unit: "Seconds",
                    dimensions: [MetricDimension("From", "us-east-1"), MetricDimension("To", "eu-west-1")],
                    timestamp: Date(timeIntervalSince1970: 1_700_000_000))
            ])
        try await cloudWatch.setAlarmState(name: "a", state: .ok, reason: "drill over")
        _ = try await cloudWatch.describeAlarms(names: ["a", "b"])
        _ = try await cloudWatch.getMetricStatistics(
            namespace: "AWS/RDS", metricName: "AuroraGlobalDBReplicationLag",
            dimensions: [MetricDimension("DBClusterIdentifier", "portal-euw1")], from: Date(timeIntervalSince1970: 0),
            to: Date(timeIntervalSince1970: 600), periodSeconds: 60)
        let operations = ["PutMetricData", "SetAlarmState", "DescribeAlarms", "GetMetricStatistics"]
        #expect(transport.requests.map { queryAction($0) } == operations)
        for (request, operation) in zip(transport.requests, operations) {
            #expect(
                try await APIModel.problems(with: request, service: "cloudwatch", operation: operation) == [],
                "\(operation)")
        }
    }
}
