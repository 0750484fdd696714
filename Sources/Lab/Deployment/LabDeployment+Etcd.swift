import Etcd
import Failover
import Foundation

extension LabDeployment {
    /// Raft's timing for the lab's distances. etcd's tuning guide puts the heartbeat near the round trip between
    /// members and the election timeout at about ten heartbeats. Heartbeats are streamed (one leaves every interval
    /// whatever the round trip), so a follower hears one every interval once the longest one-way delay has passed:
    /// the heartbeat is that delay (130 ms, eu-west-1↔ap-southeast-2, times the latency scale), never below etcd's
    /// default of 100 ms (a loaded 2-core machine must not miss heartbeats), and the election timeout is ten of
    /// them: 1.3 s at scale 1, about 5 round trips of the longest path. etcd's shortest lease is 1.5 election
    /// timeouts (2 s here), the floor of the control plane's leader TTL.
    public static func etcdTiming(regions: [RegionName], latencyScale: Double) -> (
        heartbeat: Duration, election: Duration
    ) {
        var longest = 0.0
        for a in regions {
            for b in regions where a != b {
                longest = max(longest, DefaultLatencies.oneWayMilliseconds(between: a.rawValue, and: b.rawValue))
            }
        }
        let scale = latencyScale.isFinite ? max(latencyScale, 0) : 0
        let heartbeat = max(100, (longest * scale).rounded(.up))
        return (.milliseconds(Int64(heartbeat)), .milliseconds(Int64(heartbeat) * 10))
    }

    /// The command line of `region`'s etcd member in this lab.
    static func etcdMemberConfiguration(for name: RegionName, in state: LabState) throws -> EtcdMemberConfiguration {
        let region = try state.region(name)
        guard let member = region.etcd else { throw LabError(.startFailed, "\(name) has no etcd member") }
        var configuration = EtcdMemberConfiguration(
            name: name.rawValue, dataDirectory: member.dataDirectory, clientPort: member.clientPort,
            peerPort: member.peerPort, advertisedPeerURL: member.advertisedPeerURL,
            initialCluster: state.regions.compactMap { region in
                region.etcd.map { .init(name: region.name.rawValue, peerURL: $0.advertisedPeerURL) }
            })
        (configuration.heartbeatInterval, configuration.electionTimeout) = etcdTiming(
            regions: state.regions.map(\.name), latencyScale: state.latencyScale)
        try configuration.validate()
        return configuration
    }

    /// Starts every region's etcd member (each needs the others to bootstrap, so all at once) and waits until each
    /// one answers `/health` (a raft leader exists and it has caught up).
    func startEtcd(executable: String, state: inout LabState, timeout: Duration) async throws {
        for index in state.regions.indices where state.regions[index].etcd != nil {
            let name = state.regions[index].name
            let member = try Self.etcdMemberConfiguration(for: name, in: state)
            try FileManager.default.createDirectory(
                atPath: (member.dataDirectory as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            state.regions[index].etcd?.process = try DetachedProcess.start(
                executable, member.arguments, logFile: path("logs/etcd-\(name).log"))
            try state.save()
        }
        for region in state.regions {
            guard let member = region.etcd else { continue }
            try await Self.waitForHTTP(
                "\(member.clientURL)/health", timeout: timeout, what: "the etcd member of \(region.name)"
            ) { body in body.contains("\"true\"") }
        }
    }
}
