import Failover
import Foundation
import LocalPostgres
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The lab's `FaultInjector` (DESIGN.md §5): signals to the region's recorded processes and conditions on the
/// WAN emulator's links. `heal` undoes every fault: thaws, restores the links and starts again what was killed.
public struct LabFaultInjector: FaultInjector {
    let deployment: LabDeployment
    let logger: Logger

    public init(deployment: LabDeployment, logger: Logger) {
        self.deployment = deployment
        self.logger = logger
    }

    public func inject(_ fault: Fault, into name: RegionName) async throws {
        let state = try deployment.state()
        let region = try state.region(name)
        let portals = region.portals.compactMap(\.process)
        // A region's crash or freeze takes its control-plane replica and etcd member with it.
        let everything =
            portals + [region.postgres.process, region.controller?.process, region.etcd?.process].compactMap { $0 }
        let admin = WANAdminClient(port: state.wan.adminPort)
        switch fault {
        case .crash:
            for record in everything { DetachedProcess.signal(record, SIGKILL) }
        case .freeze:
            for record in everything { DetachedProcess.signal(record, SIGSTOP) }
        case .partition:
            _ = try await admin.partition(name.rawValue)
        case .slow(let milliseconds):
            for link in try await admin.links() where link.a == name.rawValue || link.b == name.rawValue {
                _ = try await admin.setLink(
                    link.a, link.b,
                    LinkConditionsUpdate(
                        latencyMs: link.conditions.latency.seconds * 1000 + Double(milliseconds), jitterMs: nil,
                        loss: nil, partitioned: nil))
            }
        case .databaseCrash:
            if let record = region.postgres.process { DetachedProcess.signal(record, SIGKILL) }
        case .portalCrash:
            for record in portals { DetachedProcess.signal(record, SIGKILL) }
        case .controllerCrash:
            if let record = region.controller?.process { DetachedProcess.signal(record, SIGKILL) }
        case .etcdCrash:
            if let record = region.etcd?.process { DetachedProcess.signal(record, SIGKILL) }
        }
    }

    /// Thaws every process, restores the region's links to their defaults, and starts again whatever is not
    /// running (a crashed former primary's database comes back as it was; the controller fences it at once).
    public func heal(_ name: RegionName) async throws {
        let state = try deployment.state()
        let region = try state.region(name)
        let processes = region.portals.compactMap(\.process)
        for record in processes
            + [region.postgres.process, region.controller?.process, region.etcd?.process].compactMap({ $0 })
        {
            DetachedProcess.signal(record, SIGCONT)
        }
        let admin = WANAdminClient(port: state.wan.adminPort)
        _ = try await admin.heal(name.rawValue)
        for link in try await admin.links() where link.a == name.rawValue || link.b == name.rawValue {
            let defaults = DefaultLatencies.conditions(between: link.a, and: link.b, scale: state.latencyScale)
            _ = try await admin.setLink(
                link.a, link.b,
                LinkConditionsUpdate(
                    latencyMs: defaults.latency.seconds * 1000, jitterMs: defaults.jitter.seconds * 1000,
                    loss: defaults.loss, partitioned: false))
        }
        if let record = region.postgres.process, !DetachedProcess.isRunning(record) {
            // A killed postmaster can linger as a zombie for a moment; wait until it is gone.
            _ = await DetachedProcess.waitUntilGone(record, timeout: .seconds(10))
            let cluster = PostgresCluster(
                configuration: LabDeployment.clusterConfiguration(for: region), logger: logger)
            try await cluster.start()
            if let pid = cluster.pid {
                try LabState.update(in: deployment.directory) { state in
                    let index = state.regions.firstIndex { $0.name == name }!
                    state.regions[index].postgres.process?.pid = pid
                }
            }
        }
        for (index, portal) in region.portals.enumerated() {
            guard let record = portal.process, !DetachedProcess.isRunning(record) else { continue }
            let restarted = try DetachedProcess.restart(record)
            try LabState.update(in: deployment.directory) { state in
                let position = state.regions.firstIndex { $0.name == name }!
                state.regions[position].portals[index].process = restarted
            }
        }
        if let record = region.etcd?.process, !DetachedProcess.isRunning(record) {
            // It rejoins from its data folder (the initial-cluster flags apply only to an empty one).
            let restarted = try DetachedProcess.restart(record)
            try LabState.update(in: deployment.directory) { state in
                let position = state.regions.firstIndex { $0.name == name }!
                state.regions[position].etcd?.process = restarted
            }
        }
        if let record = region.controller?.process, !DetachedProcess.isRunning(record) {
            let restarted = try DetachedProcess.restart(record)
            try LabState.update(in: deployment.directory) { state in
                let position = state.regions.firstIndex { $0.name == name }!
                state.regions[position].controller?.process = restarted
            }
        }
    }
}
