import Failover
import Foundation

/// What a control-plane replica needs to run: its region, the etcd cluster, its peers, whom it watches, and how.
public struct ControllerConfiguration: Sendable {
    /// The replica's own folder (`alarms.jsonl` unless configured otherwise); the state lives in etcd.
    public var directory: String
    public var host: String = "127.0.0.1"
    public var port: Int
    /// The region this replica runs in: its vantage point's name.
    public var region: RegionName
    public var regions: [RegionName]
    /// The primary when etcd holds no state yet (the first leader ever writes it).
    public var initialPrimary: RegionName
    public var settings: ControllerSettings
    /// Every replica's API as this replica reaches it, by region (its own too).
    public var peers: [RegionName: String]
    /// The etcd members' client URLs, this region's first.
    public var etcdEndpoints: [String]
    /// The bearer token every control API call must carry (`/health` and `/metrics` excepted); the replicas send it
    /// to each other too.
    public var token: String = ""
    /// The control plane's Ed25519 key (base64 raw) every lease answer is signed with; empty: answers unsigned.
    public var leaseSigningKey: String = ""
    /// The leader's etcd lease (seconds): a dead leader is replaced this long after its last keep-alive. etcd
    /// raises it to its own minimum (1.5 election timeouts) when shorter.
    public var leaderTTL: Int64 = 2
    /// Whether the edge's health view counts as a vantage point.
    public var edgeVotes: Bool = true
    /// Notification targets: webhook URLs that receive a JSON body per alarm change.
    public var webhooks: [String] = []
    /// A file that receives one JSON line per alarm change; nil for `<directory>/alarms.jsonl`.
    public var alarmFile: String?
    /// Whom to page, in order, named in every notification.
    public var page: [String] = []
    /// The status page's behaviour.
    public var statusPage = StatusPageSettings()

    public init(
        directory: String, port: Int, region: RegionName, regions: [RegionName], initialPrimary: RegionName,
        settings: ControllerSettings, peers: [RegionName: String], etcdEndpoints: [String]
    ) {
        self.directory = directory
        self.port = port
        self.region = region
        self.regions = regions
        self.initialPrimary = initialPrimary
        self.settings = settings
        self.peers = peers
        self.etcdEndpoints = etcdEndpoints
    }

    /// Notification targets and the paging order, as `drctl lab up --config` writes them for the controller
    /// (`<lab>/controller-notifications.json`).
    public struct Notifications: LabSavedFile, Sendable {
        public var webhooks: [String]
        public var file: String?
        public var page: [String]

        public init(webhooks: [String], file: String?, page: [String]) {
            self.webhooks = webhooks
            self.file = file
            self.page = page
        }

        public static let fileName = "controller-notifications.json"
    }

    /// Applies notification targets read from a file.
    public mutating func apply(_ notifications: Notifications) {
        webhooks = notifications.webhooks
        alarmFile = notifications.file
        page = notifications.page
    }

    var resolvedAlarmFile: String { alarmFile ?? (directory as NSString).appendingPathComponent("alarms.jsonl") }

    /// The vantage points that judge `region`: the edge and every other region's replica (a region's own replica
    /// cannot tell its region from the rest of the world being cut off).
    func vantagePoints(for region: RegionName) -> [String] {
        (edgeVotes ? ["edge"] : []) + regions.filter { $0 != region }.map(\.rawValue)
    }
}

/// A JSON file `drctl lab up` writes into the lab's folder for the replicas to read when they start.
public protocol LabSavedFile: Codable {
    static var fileName: String { get }
}

extension LabSavedFile {
    static func path(inLab directory: String) -> String {
        (directory as NSString).appendingPathComponent(fileName)
    }

    /// What the lab in `directory` saved; nil when it saved nothing.
    public static func load(fromLab directory: String) throws -> Self? {
        guard let data = FileManager.default.contents(atPath: path(inLab: directory)) else { return nil }
        return try JSONDecoder().decode(Self.self, from: data)
    }

    public func save(inLab directory: String) throws {
        try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: Self.path(inLab: directory)))
    }
}
