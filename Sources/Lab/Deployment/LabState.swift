import Failover
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Everything the lab started, by pid and port, saved in `<dir>/lab.json` after every step, so that
/// `drctl lab status` and `drctl lab down` work from any later process, also after `drctl` was killed mid-way.
public struct LabState: Codable, Sendable, Equatable {
    /// A process the lab started.
    public struct ProcessRecord: Codable, Sendable, Equatable {
        public var pid: Int32
        /// The executable's path, checked against `/proc/PID/exe` before a signal is sent (pids get reused).
        public var executable: String
        public var logFile: String
        /// How it was started, so that healing a crash starts it again the same way.
        public var arguments: [String]?
        public var environment: [String: String]?
    }

    public struct Postgres: Codable, Sendable, Equatable {
        public var port: Int
        public var dataDirectory: String
        public var process: ProcessRecord?
    }

    public struct Portal: Codable, Sendable, Equatable {
        public var port: Int
        /// The internal listener (`/metrics`, `/health/region`, `/health/lease`), which nothing routes to from the
        /// outside (nil in a lab started before portals had one: everything was on `port`).
        public var internalPort: Int?
        public var process: ProcessRecord?
        public var url: String { "http://127.0.0.1:\(port)" }
        public var internalURL: String { "http://127.0.0.1:\(internalPort ?? port)" }
    }

    public struct Region: Codable, Sendable, Equatable {
        public var name: RegionName
        public var postgres: Postgres
        public var portals: [Portal]
        /// The port of this region's writer endpoint (a WAN route to the current primary's database).
        public var writerPort: Int
        /// Ports through which this region reaches another region's database (replication, cross-region reads).
        public var databaseRoutes: [String: Int]
        /// Ports through which the outside (edge, controller) reaches this region's portals, in portal order.
        public var ingressPorts: [Int]
        /// The port through which the control plane's actions reach this region's database.
        public var controlDatabasePort: Int
        /// Ports through which this region's control-plane replica probes another region's first portal.
        public var probePorts: [String: Int]
        /// The region's control-plane replica (nil in a lab started before the control plane was replicated).
        public var controller: Controller?
        /// The region's etcd member (nil in a lab started before the control plane had one).
        public var etcd: EtcdMember?
    }

    /// One member of the control plane's etcd cluster, one per region.
    public struct EtcdMember: Codable, Sendable, Equatable {
        /// The client port (v3 JSON gateway), reached directly from inside the region.
        public var clientPort: Int
        /// The port the member listens on for its peers.
        public var peerPort: Int
        /// The WAN route to `peerPort`: the peer URL the member advertises, so every other member crosses the WAN
        /// (the route tells their connections apart by the sender's `X-PeerURLs`).
        public var peerRoutePort: Int
        /// Ports through which another region's nodes, or the outside, reach the client port, by node name.
        public var clientRoutes: [String: Int]
        public var dataDirectory: String
        public var process: ProcessRecord?
        public var clientURL: String { "http://127.0.0.1:\(clientPort)" }
        public var advertisedPeerURL: String { "http://127.0.0.1:\(peerRoutePort)" }
    }

    /// A region's control-plane replica (DESIGN.md §3).
    public struct Controller: Codable, Sendable, Equatable {
        public var port: Int
        /// Ports through which another region's nodes reach this replica (through the WAN), by region.
        public var routes: [String: Int]
        /// Where the replica keeps its own files (alarms); the control-plane state is in etcd.
        public var directory: String
        public var process: ProcessRecord?
        public var url: String { "http://127.0.0.1:\(port)" }
    }

    /// The edge: the lab's one global entry address (our Global Accelerator).
    public struct Edge: Codable, Sendable, Equatable {
        public var port: Int
        public var adminPort: Int
        /// The admin API's bearer token (`lab.json` is mode 0600).
        public var adminToken: String
        /// Extra entry ports, one per client location (`us`, `eu`, `ap`).
        public var locationPorts: [String: Int]
        public var process: ProcessRecord?
        public var url: String { "http://127.0.0.1:\(port)" }
        public var adminURL: String { "http://127.0.0.1:\(adminPort)" }
    }

    public struct WAN: Codable, Sendable, Equatable {
        public var adminPort: Int
        public var process: ProcessRecord?
        public var url: String { "http://127.0.0.1:\(adminPort)" }
    }

    public var directory: String
    public var createdAt: Date
    public var durability: Durability
    public var primary: RegionName
    public var latencyScale: Double
    public var keyFile: String
    public var wan: WAN
    /// Nil for a lab without an edge.
    public var edge: Edge?
    public var regions: [Region]
    /// The control plane's bearer token: every control API call but `/health` and `/metrics` needs it
    /// (`lab.json` is written with mode 0600).
    public var controlToken: String
    /// The control plane's Ed25519 key (base64 raw) that signs every lease answer; the portals get its public half.
    public var leaseSigningKey: String

    /// Where `region`'s portals ask for their write lease: their own region's replica, then every other one
    /// through the WAN.
    public func leaseURLs(for region: RegionName) -> [String] {
        guard let own = regions.first(where: { $0.name == region }) else { return [] }
        return [own.controller?.url].compactMap { $0 }
            + regions.filter { $0.name != region }.compactMap { other in
                other.controller?.routes[region.rawValue].map { "http://127.0.0.1:\($0)" }
            }
    }

    /// Every replica's API, reached directly (what `drctl` and the drills use: any replica answers).
    public var controllerURLs: [String] { regions.compactMap { $0.controller?.url } }

    public func region(_ name: RegionName) throws(LabError) -> Region {
        guard let region = regions.first(where: { $0.name == name }) else {
            throw LabError(
                .unknownRegion,
                "no region '\(name)' in this lab (regions: \(regions.map(\.name.rawValue).joined(separator: ", ")))")
        }
        return region
    }

    /// Every process the lab started.
    public var processes: [ProcessRecord] {
        regions.flatMap { region in
            region.portals.compactMap(\.process)
                + [region.postgres.process, region.controller?.process, region.etcd?.process].compactMap { $0 }
        } + [wan.process, edge?.process].compactMap { $0 }
    }

    static func file(in directory: String) -> String { (directory as NSString).appendingPathComponent("lab.json") }

    /// The saved state of the lab in `directory`, or nil when there is none.
    public static func load(from directory: String) throws(LabError) -> LabState? {
        let path = file(in: directory)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return try decoder.decode(LabState.self, from: data) } catch {
            throw LabError(.stateUnreadable, "\(path) is not a lab state file; remove the folder or pick another --dir")
        }
    }

    /// Loads the state, lets `change` modify it and saves it, holding a lock on the folder so that the
    /// controller and a `drctl` command do not overwrite each other's changes.
    @discardableResult
    public static func update<T>(in directory: String, _ change: (inout LabState) throws -> T) throws -> T {
        let lockPath = (directory as NSString).appendingPathComponent("lab.lock")
        let descriptor = open(lockPath, O_CREAT | O_RDWR, 0o600)
        guard descriptor >= 0 else { throw LabError(.stateUnreadable, "cannot open \(lockPath)") }
        defer { close(descriptor) }
        flock(descriptor, LOCK_EX)
        defer { flock(descriptor, LOCK_UN) }
        guard var state = try load(from: directory) else {
            throw LabError(.notRunning, "no lab in \(directory): start one with drctl lab up")
        }
        let result = try change(&state)
        try state.save()
        return result
    }

    /// Writes the state atomically.
    func save() throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Mode 0600 from the start (it holds the control plane's and the edge's tokens), replaced atomically.
        let path = Self.file(in: directory)
        let temporary = path + ".tmp-\(getpid())"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: try encoder.encode(self), attributes: [.posixPermissions: 0o600])
        else { throw LabError(.stateUnreadable, "cannot write \(temporary)") }
        guard rename(temporary, path) == 0 else { throw LabError(.stateUnreadable, "cannot replace \(path)") }
    }
}
