import Etcd
import Failover
import Foundation
import LocalPostgres

/// The documented `drctl lab status --json` contract (README "The lab").
public struct LabStatus: Codable, Sendable {
    public struct Region: Codable, Sendable {
        public struct Portal: Codable, Sendable {
            public var url: String
            public var pids: [Int32]
            public var ingressPorts: [Int]
        }
        public struct Postgres: Codable, Sendable {
            public var port: Int
            public var pid: Int32?
            public var dataDir: String
        }
        public struct Replication: Codable, Sendable {
            public var replayLsn: String?
            public var lagBytes: UInt64?
            public var lagSeconds: Double?
        }
        public var name: String
        public var role: String
        public var healthy: Bool
        public var portal: Portal
        public var postgres: Postgres
        public var replication: Replication
        public var writerPort: Int
    }
    public struct WAN: Codable, Sendable {
        public var url: String
        public var pid: Int32?
    }
    /// One etcd member of the control plane.
    public struct EtcdMember: Codable, Sendable {
        public var region: String
        public var clientURL: String
        public var pid: Int32?
        /// It runs and answers `/health` (it has a raft leader).
        public var healthy: Bool
    }

    /// One control-plane replica.
    public struct ControllerReplica: Codable, Sendable {
        public var region: String
        public var url: String
        public var pid: Int32?
        /// It leads now (it answers that its own region holds the election key).
        public var leader: Bool
        /// The leader's term as this replica knows it (the election key's create revision).
        public var epoch: Int64?
    }

    public var dir: String
    public var durability: String
    public var primary: String
    public var edge: String?
    /// The leading replica's URL (nil when none leads or answers).
    public var controller: String?
    public var controllers: [ControllerReplica]
    public var wan: WAN
    public var regions: [Region]
    public var etcd: [EtcdMember]
}

extension LabDeployment {
    /// Every region's role, health, replication position and lag, with ports and pids, probed now.
    public func status() async throws -> LabStatus {
        let state = try state()
        var probes: [RegionName: (role: String, lsn: LogSequenceNumber?, lagSeconds: Double?)] = [:]
        await withTaskGroup(of: (RegionName, (String, LogSequenceNumber?, Double?)).self) { group in
            for region in state.regions {
                group.addTask { (region.name, await Self.probeDatabase(port: region.postgres.port)) }
            }
            for await (name, probe) in group { probes[name] = probe }
        }
        let etcd = await etcdStatus(state)
        let controllers = await controllersStatus(state)
        let primaryLSN = probes.values.first { $0.role == "primary" }?.lsn
        var regions: [LabStatus.Region] = []
        for region in state.regions {
            let probe = probes[region.name] ?? ("unknown", nil, nil)
            var portalsHealthy = true
            for portal in region.portals {
                let status = try? await Self.httpStatus("\(portal.url)/health/ready", timeout: .seconds(1))
                if status != 200 { portalsHealthy = false }
            }
            let processesRunning = ([region.postgres.process] + region.portals.map(\.process)).allSatisfy {
                $0.map(DetachedProcess.isRunning) ?? false
            }
            regions.append(
                LabStatus.Region(
                    name: region.name.rawValue, role: probe.role,
                    healthy: portalsHealthy && processesRunning && probe.role != "unknown",
                    portal: .init(
                        url: region.portals.first?.url ?? "",
                        pids: region.portals.compactMap { $0.process?.pid },
                        ingressPorts: region.ingressPorts),
                    postgres: .init(
                        port: region.postgres.port, pid: region.postgres.process?.pid,
                        dataDir: region.postgres.dataDirectory),
                    replication: .init(
                        replayLsn: probe.lsn?.description,
                        lagBytes: probe.role == "primary" ? 0 : zip(primaryLSN, probe.lsn).map { $0.bytes(after: $1) },
                        lagSeconds: probe.role == "primary" ? 0 : probe.lagSeconds),
                    writerPort: region.writerPort))
        }
        return LabStatus(
            dir: directory, durability: state.durability.rawValue, primary: state.primary.rawValue,
            edge: state.edge.flatMap { edge in edge.process.map(DetachedProcess.isRunning) == true ? edge.url : nil },
            controller: controllers.first(where: \.leader)?.url, controllers: controllers,
            wan: .init(url: state.wan.url, pid: state.wan.process?.pid), regions: regions, etcd: etcd)
    }

    /// Every region's replica, with who leads as each one answers now (all at once).
    func controllersStatus(_ state: LabState) async -> [LabStatus.ControllerReplica] {
        struct Leader: Decodable {
            var region: String
            var term: Int64
        }
        var leaders: [RegionName: Leader] = [:]
        await withTaskGroup(of: (RegionName, Leader?).self) { group in
            for region in state.regions {
                guard let replica = region.controller, replica.process.map(DetachedProcess.isRunning) == true else {
                    continue
                }
                group.addTask {
                    let answer = try? await Self.httpGet(
                        "\(replica.url)/v1/leader", timeout: .seconds(1), token: state.controlToken)
                    guard answer?.status == 200, let body = answer?.body else { return (region.name, nil) }
                    return (region.name, try? JSONDecoder().decode(Leader.self, from: Data(body.utf8)))
                }
            }
            for await (name, leader) in group { leaders[name] = leader }
        }
        return state.regions.compactMap { region in
            region.controller.map { replica in
                let leader = leaders[region.name]
                return LabStatus.ControllerReplica(
                    region: region.name.rawValue, url: replica.url, pid: replica.process?.pid,
                    leader: leader?.region == region.name.rawValue, epoch: leader?.term)
            }
        }
    }

    /// Every region's etcd member, with its health asked now (all at once).
    func etcdStatus(_ state: LabState) async -> [LabStatus.EtcdMember] {
        let members = state.regions.compactMap { region in region.etcd.map { (region.name, $0) } }
        guard let client = try? EtcdClient(configuration: .init(endpoints: members.map(\.1.clientURL))) else {
            return []
        }
        var healthy: [RegionName: Bool] = [:]
        await withTaskGroup(of: (RegionName, Bool).self) { group in
            for (name, member) in members {
                group.addTask {
                    let running = member.process.map(DetachedProcess.isRunning) ?? false
                    return (name, running ? await client.isHealthy(member.clientURL) : false)
                }
            }
            for await (name, answer) in group { healthy[name] = answer }
        }
        return members.map { name, member in
            LabStatus.EtcdMember(
                region: name.rawValue, clientURL: member.clientURL, pid: member.process?.pid,
                healthy: healthy[name] ?? false)
        }
    }

    /// Role, replayed (or, on a primary, current) WAL position and replay lag of the database on `port`.
    static func probeDatabase(port: Int) async -> (String, LogSequenceNumber?, Double?) {
        let sql = """
            SELECT pg_is_in_recovery(),
                   (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END),
                   CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                        ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END
            """
        guard let output = try? await PostgresTools.psql(sql.replacingOccurrences(of: "\n", with: " "), port: port)
        else { return ("unknown", nil, nil) }
        let fields = output.split(separator: "|").map(String.init)
        guard fields.count == 3 else { return ("unknown", nil, nil) }
        return (fields[0] == "t" ? "standby" : "primary", LogSequenceNumber(fields[1]), Double(fields[2]))
    }
}

private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
