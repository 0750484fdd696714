import Foundation

/// How to start one etcd member: its name, data folder, listening ports, what it tells the others, the whole
/// initial cluster, and raft's timing. `arguments` is the command line; the lab and the tests start it their way.
public struct EtcdMemberConfiguration: Sendable, Equatable {
    /// A peer of the initial cluster: its name and the URL the others reach it at.
    public struct Peer: Sendable, Equatable {
        public var name: String
        public var peerURL: String

        public init(name: String, peerURL: String) {
            self.name = name
            self.peerURL = peerURL
        }
    }

    public var name: String
    public var dataDirectory: String
    /// The port clients (the controller, drctl) connect to, on 127.0.0.1.
    public var clientPort: Int
    /// The port the other members connect to, on 127.0.0.1.
    public var peerPort: Int
    /// The URL the other members are told to reach this one at (in the lab: a WAN route to `peerPort`).
    public var advertisedPeerURL: String
    /// Every member of the cluster being bootstrapped, this one included.
    public var initialCluster: [Peer]
    public var clusterToken = "customer-portal"
    /// How often the raft leader tells the followers it is alive.
    public var heartbeatInterval: Duration = .milliseconds(100)
    /// How long a follower waits without a heartbeat before it campaigns.
    public var electionTimeout: Duration = .milliseconds(1000)

    public init(
        name: String, dataDirectory: String, clientPort: Int, peerPort: Int, advertisedPeerURL: String? = nil,
        initialCluster: [Peer]? = nil
    ) {
        self.name = name
        self.dataDirectory = dataDirectory
        self.clientPort = clientPort
        self.peerPort = peerPort
        let advertised = advertisedPeerURL ?? "http://127.0.0.1:\(peerPort)"
        self.advertisedPeerURL = advertised
        self.initialCluster = initialCluster ?? [Peer(name: name, peerURL: advertised)]
    }

    public var clientURL: String { "http://127.0.0.1:\(clientPort)" }

    /// The rules etcd itself enforces at start, as one clear error instead of a member that exits.
    public func validate() throws(EtcdError) {
        guard initialCluster.contains(Peer(name: name, peerURL: advertisedPeerURL)) else {
            throw EtcdError(.invalidArgument, "the initial cluster does not list \(name) at \(advertisedPeerURL)")
        }
        let heartbeat = Self.milliseconds(heartbeatInterval)
        let election = Self.milliseconds(electionTimeout)
        guard heartbeat >= 1, election >= 5 * heartbeat, election <= 50_000 else {
            throw EtcdError(
                .invalidArgument,
                "election timeout \(election) ms must be at least 5 × the heartbeat (\(heartbeat) ms) and at most 50 s")
        }
    }

    /// The `etcd` command line (etcd 3.4 flags).
    public var arguments: [String] {
        [
            "--name", name, "--data-dir", dataDirectory,
            "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
            "--listen-peer-urls", "http://127.0.0.1:\(peerPort)",
            "--initial-advertise-peer-urls", advertisedPeerURL,
            "--initial-cluster", initialCluster.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ","),
            "--initial-cluster-token", clusterToken, "--initial-cluster-state", "new",
            "--heartbeat-interval", String(Self.milliseconds(heartbeatInterval)),
            "--election-timeout", String(Self.milliseconds(electionTimeout)),
            // Only the v3 API; no metrics or profiling listeners beyond the client port.
            "--enable-v2=false", "--logger", "zap", "--log-outputs", "stderr",
        ]
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The `etcd` executable: `ETCD_BINARY`, else the first `etcd` in `PATH`, else `/usr/bin/etcd`.
    public static func executable() throws(EtcdError) -> String {
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment["ETCD_BINARY"], !configured.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: configured) else {
                throw EtcdError(.invalidArgument, "ETCD_BINARY=\(configured) is not an executable")
            }
            return configured
        }
        let folders = (environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin"]
        for folder in folders where !folder.isEmpty {
            let candidate = (folder as NSString).appendingPathComponent("etcd")
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw EtcdError(
            .unavailable, "etcd is not installed (apt-get install etcd-server), or set ETCD_BINARY to its path")
    }
}
