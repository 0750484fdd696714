import Failover
import Foundation

/// The game days `drctl drill` runs (issue 6). Each names the fault it injects, into which region, and what the
/// controller is expected to do about it.
public enum DrillScenario: String, CaseIterable, Sendable {
    /// SIGKILL every process of the primary region: automatic failover.
    case regionCrash = "region-crash"
    /// Cut every link of the primary region while it runs: it must fence itself; automatic failover.
    case regionPartition = "region-partition"
    /// SIGSTOP the primary region past its lease, then thaw it: failover; the thawed region must not write.
    case regionFreeze = "region-freeze"
    /// Kill only the primary database: failover.
    case databaseCrash = "db-crash"
    /// Kill every portal of the primary region: traffic moves away, the database stays.
    case portalCrash = "portal-crash"
    /// Kill a standby region: nothing fails over; its traffic moves away.
    case standbyCrash = "standby-crash"
    /// Add 200 ms one-way latency to a standby region: its traffic moves away, no failover.
    case slowRegion = "slow-region"
    /// Crash and heal a standby region three times: no failover, no flapping of the primary.
    case flapping
    /// Planned switchover to a standby and back: zero loss both ways.
    case switchover
    /// Crash of the primary, failover, rejoin of the old primary, then a planned switchover home.
    case failback
    /// The leading replica is killed during a failover and started again: one promotion, failover completes.
    case controllerCrash = "controller-crash"
    /// The leading replica is killed: another leads within a TTL, writes go on, nothing fails over.
    case leaderCrash = "leader-crash"
    /// The primary region crashes while its replica leads: a new leader elsewhere fails over.
    case leaderRegionCrash = "leader-region-crash"
    /// A standby region's etcd member is killed: etcd keeps its majority, nothing fails over.
    case etcdMemberLoss = "etcd-member-loss"

    /// Whether the scenario moves the primary (so a lost write or a fenced write is possible).
    var failsOver: Bool {
        switch self {
        case .regionCrash, .regionPartition, .regionFreeze, .databaseCrash, .failback, .controllerCrash,
            .leaderRegionCrash:
            true
        default: false
        }
    }

    /// Whether the primary's replica must lead when the fault comes (the runner makes it lead first: several
    /// seconds of kills and restarts, before the fault time is taken).
    var needsLeaderInPrimaryRegion: Bool { self == .leaderRegionCrash }

    /// How much longer the workload runs for the scenario's set-up before its fault, so that the time after the
    /// fault stays the usual 70 % of the run.
    var setUpAllowance: Duration { needsLeaderInPrimaryRegion ? .seconds(25) : .zero }

    /// Parses `all` or a comma-separated list; the error names the bad value.
    public static func parse(_ text: String) throws(DrillError) -> [DrillScenario] {
        if text == "all" { return allCases }
        return try text.split(separator: ",").map { name throws(DrillError) in
            guard let scenario = DrillScenario(rawValue: String(name)) else {
                throw DrillError(
                    .invalidArgument,
                    "--scenario: '\(name)' is not a scenario (\(allCases.map(\.rawValue).joined(separator: ", ")), all)"
                )
            }
            return scenario
        }
    }
}
