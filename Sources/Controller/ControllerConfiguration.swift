import Failover
import Foundation

/// What a controller needs to run: where it keeps its state, whom it watches, and how.
public struct ControllerConfiguration: Sendable {
    /// The folder for `state.json`, `events.jsonl` and `alarms.jsonl`.
    public var directory: String
    public var host: String = "127.0.0.1"
    public var port: Int
    public var regions: [RegionName]
    /// The primary when no state file exists yet.
    public var initialPrimary: RegionName
    public var settings: ControllerSettings
    /// Vantage points that report from inside each region (their name is the region's).
    public var agentRegions: [RegionName]
    /// Whether the edge's health view counts as a vantage point.
    public var edgeVotes: Bool = true
    /// Notification targets: webhook URLs that receive a JSON body per alarm change.
    public var webhooks: [String] = []
    /// A file that receives one JSON line per alarm change; nil for `<directory>/alarms.jsonl`.
    public var alarmFile: String?
    /// Whom to page, in order, named in every notification.
    public var page: [String] = []

    public init(
        directory: String, port: Int, regions: [RegionName], initialPrimary: RegionName,
        settings: ControllerSettings, agentRegions: [RegionName]
    ) {
        self.directory = directory
        self.port = port
        self.regions = regions
        self.initialPrimary = initialPrimary
        self.settings = settings
        self.agentRegions = agentRegions
    }

    /// Notification targets and the paging order, as `drctl lab up --config` writes them for the controller
    /// (`<lab>/controller-notifications.json`).
    public struct Notifications: Codable, Sendable {
        public var webhooks: [String]
        public var file: String?
        public var page: [String]

        public init(webhooks: [String], file: String?, page: [String]) {
            self.webhooks = webhooks
            self.file = file
            self.page = page
        }

        static func path(inLab directory: String) -> String {
            (directory as NSString).appendingPathComponent("controller-notifications.json")
        }

        /// The targets saved in the lab in `directory`; nil when it has none.
        public static func load(fromLab directory: String) throws -> Notifications? {
            guard let data = FileManager.default.contents(atPath: path(inLab: directory)) else { return nil }
            return try JSONDecoder().decode(Notifications.self, from: data)
        }

        public func save(inLab directory: String) throws {
            try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: Self.path(inLab: directory)))
        }
    }

    /// Applies notification targets read from a file.
    public mutating func apply(_ notifications: Notifications) {
        webhooks = notifications.webhooks
        alarmFile = notifications.file
        page = notifications.page
    }

    var stateFile: String { (directory as NSString).appendingPathComponent("state.json") }
    var timelineFile: String { (directory as NSString).appendingPathComponent("events.jsonl") }
    var leaseFile: String { (directory as NSString).appendingPathComponent("lease.json") }
    var resolvedAlarmFile: String { alarmFile ?? (directory as NSString).appendingPathComponent("alarms.jsonl") }

    /// The vantage points that judge `region`: the controller, the edge, and every other region's agent.
    func vantagePoints(for region: RegionName) -> [String] {
        ["controller"] + (edgeVotes ? ["edge"] : []) + agentRegions.filter { $0 != region }.map(\.rawValue)
    }
}
