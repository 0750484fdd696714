import Foundation
import Logging

/// Amazon CloudWatch (query protocol): custom metrics, alarms and metric statistics.
public struct CloudWatchClient: Sendable {
    /// The signed-request layer.
    public let client: AWSServiceClient

    /// A client for the configuration's region.
    public init(
        configuration: AWSClientConfiguration, transport: any AWSHTTPTransport = AsyncHTTPClientTransport(),
        logger: Logger = Logger(label: "aws")
    ) {
        client = AWSServiceClient(
            service: .cloudWatch, configuration: configuration, transport: transport, logger: logger)
    }

    /// `PutMetricData`: publishes data points to a namespace.
    public func putMetricData(namespace: String, _ data: [MetricDatum]) async throws(AWSError) {
        var parameters = QueryParameters()
        parameters.add("Namespace", namespace)
        parameters.add("MetricData", structures: data) { datum, prefix, parameters in
            parameters.add(prefix + "MetricName", datum.metricName)
            parameters.add(prefix + "Dimensions", structures: datum.dimensions) { dimension, prefix, parameters in
                parameters.add(prefix + "Name", dimension.name)
                parameters.add(prefix + "Value", dimension.value)
            }
            parameters.add(prefix + "Timestamp", datum.timestamp.map(CloudWatchTime.format))
            parameters.add(prefix + "Value", String(datum.value))
            parameters.add(prefix + "Unit", datum.unit)
        }
        _ = try await client.query("PutMetricData", parameters.parameters)
    }

    /// `DescribeAlarms` by name (all alarms when `names` is empty), following `NextToken` to the end.
    public func describeAlarms(names: [String] = []) async throws(AWSError) -> [MetricAlarm] {
        var alarms: [MetricAlarm] = []
        var token: String?
        repeat {
            var parameters = QueryParameters()
            parameters.add("AlarmNames", list: names)
            parameters.add("NextToken", token)
            let result = try await client.query("DescribeAlarms", parameters.parameters)
            for alarm in result.child("MetricAlarms")?.children("member") ?? [] {
                guard let name = alarm.string("AlarmName"), let state = alarm.string("StateValue") else {
                    throw AWSError(
                        .invalidResponse, "an alarm without a name or state", operation: "monitoring:DescribeAlarms")
                }
                alarms.append(
                    MetricAlarm(
                        name: name, stateValue: state, stateReason: alarm.string("StateReason"),
                        namespace: alarm.string("Namespace"), metricName: alarm.string("MetricName")))
            }
            token = result.string("NextToken").flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return alarms
    }

    /// `SetAlarmState`: sets an alarm's state until its next evaluation (drills use it to test alarm actions).
    public func setAlarmState(name: String, state: MetricAlarm.State, reason: String) async throws(AWSError) {
        var parameters = QueryParameters()
        parameters.add("AlarmName", name)
        parameters.add("StateValue", state.rawValue)
        parameters.add("StateReason", reason)
        _ = try await client.query("SetAlarmState", parameters.parameters)
    }

    /// `GetMetricStatistics` for one statistic; the data points sorted by time.
    public func getMetricStatistics(
        namespace: String, metricName: String, dimensions: [MetricDimension], from start: Date, to end: Date,
        periodSeconds: Int, statistic: String = "Maximum"
    ) async throws(AWSError) -> [MetricDatapoint] {
        var parameters = QueryParameters()
        parameters.add("Namespace", namespace)
        parameters.add("MetricName", metricName)
        parameters.add("Dimensions", structures: dimensions) { dimension, prefix, parameters in
            parameters.add(prefix + "Name", dimension.name)
            parameters.add(prefix + "Value", dimension.value)
        }
        // Whole seconds on the wire, and EndTime is exclusive: rounded up, so a datapoint from the current
        // second is in (truncating it dropped a datapoint published in the same second as the query).
        parameters.add("StartTime", CloudWatchTime.format(start))
        parameters.add(
            "EndTime", CloudWatchTime.format(Date(timeIntervalSince1970: end.timeIntervalSince1970.rounded(.up))))
        parameters.add("Period", String(periodSeconds))
        parameters.add("Statistics", list: [statistic])
        let result = try await client.query("GetMetricStatistics", parameters.parameters)
        return (result.child("Datapoints")?.children("member") ?? []).compactMap { point in
            guard let time = point.string("Timestamp").flatMap(CloudWatchTime.parse),
                let value = point.string(statistic).flatMap(Double.init)
            else { return nil }
            return MetricDatapoint(timestamp: time, value: value, unit: point.string("Unit"))
        }.sorted { $0.timestamp < $1.timestamp }
    }
}

/// A metric dimension, such as `DBClusterIdentifier=portal-eu-west-1`.
public struct MetricDimension: Hashable, Sendable {
    /// The dimension's name.
    public var name: String
    /// The dimension's value.
    public var value: String

    /// A dimension from its name and value.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One data point to publish.
public struct MetricDatum: Hashable, Sendable {
    /// The metric's name.
    public var metricName: String
    /// The value.
    public var value: Double
    /// A CloudWatch unit (`Seconds`, `Milliseconds`, `Count`, …).
    public var unit: String?
    /// The dimensions.
    public var dimensions: [MetricDimension]
    /// When it was measured; CloudWatch uses the receipt time when absent.
    public var timestamp: Date?

    /// A data point; only the name and value have no default.
    public init(
        metricName: String, value: Double, unit: String? = nil, dimensions: [MetricDimension] = [],
        timestamp: Date? = nil
    ) {
        self.metricName = metricName
        self.value = value
        self.unit = unit
        self.dimensions = dimensions
        self.timestamp = timestamp
    }
}

/// One statistic of one period, from `GetMetricStatistics`.
public struct MetricDatapoint: Hashable, Sendable {
    /// The start of the period.
    public var timestamp: Date
    /// The statistic's value.
    public var value: Double
    /// The unit, when known.
    public var unit: String?
}

/// A metric alarm as `DescribeAlarms` shows it.
public struct MetricAlarm: Hashable, Sendable {
    /// The states of an alarm.
    public enum State: String, Hashable, Sendable, CaseIterable {
        case ok = "OK"
        case alarm = "ALARM"
        case insufficientData = "INSUFFICIENT_DATA"
    }

    /// The alarm's name.
    public var name: String
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`, as AWS wrote it.
    public var stateValue: String
    /// Why the alarm is in that state.
    public var stateReason: String?
    /// The watched metric's namespace.
    public var namespace: String?
    /// The watched metric's name.
    public var metricName: String?

    /// The state, when it is one this library knows.
    public var state: State? { State(rawValue: stateValue) }
}

/// CloudWatch's ISO 8601 timestamps.
enum CloudWatchTime {
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }

    static func parse(_ text: String) -> Date? {
        (try? Date(text, strategy: Date.ISO8601FormatStyle()))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}
