import Failover

/// The finer steps of a failover plan on Aurora Global Database. Most of them are things Aurora does by itself as
/// part of `FailoverGlobalCluster` / `SwitchoverGlobalCluster` (`AuroraGlobalReplication.promote`, `switchover`),
/// so they act on nothing here; each says why, and none claims what it cannot confirm.
public struct AuroraFailoverActions: FailoverActions {
    /// The global database the plan moves.
    public let replication: AuroraGlobalReplication
    /// How long `moveWriterEndpoint` waits for Aurora to name the new writer (the controller bounds the step at
    /// 10 s and runs it again after a failure).
    public let writerWait: Duration
    /// How often `moveWriterEndpoint` asks Aurora again.
    public let writerPoll: Duration

    /// The actions for `replication`'s global cluster.
    public init(
        replication: AuroraGlobalReplication, writerWait: Duration = .seconds(8), writerPoll: Duration = .seconds(1)
    ) {
        self.replication = replication
        self.writerWait = writerWait
        self.writerPoll = writerPoll
    }

    /// Succeeds without acting. Aurora has no call that makes one member refuse writes outside a switchover or
    /// failover, and those demote the old writer themselves. What keeps the old primary's portals from writing is
    /// the signed write lease: the fence step stops granting it and waits until every granted lease has ended.
    public func fenceDatabase(_ region: RegionName) async throws {}

    /// Does nothing yet, and says so here: binding the new writer to the epoch takes SQL on it (the RDS Data API's
    /// `ExecuteStatement` would do), and this control plane reaches Aurora only through its management API. An
    /// Aurora deployment holds no epoch row, so its portals' writes are not checked against the epoch (the database
    /// treats them as unmanaged); the signed lease and Aurora's own demotion of the old writer keep them apart.
    public func bindEpoch(_ epoch: Int, on region: RegionName) async throws {}

    /// Always false: nothing on AWS confirms that every task of a region that could write has stopped, so the fence
    /// waits for the old primary's leases to end instead.
    public func writersStopped(in region: RegionName) async -> Bool { false }

    /// Does nothing: Aurora's secondaries replicate from whichever cluster is the writer, and a global switchover
    /// or failover re-points them itself.
    public func repoint(_ standby: RegionName, to primary: RegionName) async throws {}

    /// Does nothing and returns no standby: there is no cascading to set up; Aurora re-points its secondaries when
    /// it promotes the target.
    public func prepareFailover(to target: RegionName) async throws -> [RegionName] { [] }

    /// Nothing to move: the portals write through Aurora's global writer endpoint (`PORTAL_WRITER_DATABASE_URL`),
    /// which Aurora points at the new writer when the switchover or failover completes. This waits up to
    /// `writerWait` until Aurora names `primary`'s cluster the writer, and fails otherwise, so the step (retried by
    /// the controller) ends only once the endpoint leads there.
    public func moveWriterEndpoint(to primary: RegionName) async throws {
        let deadline = ContinuousClock.now + writerWait
        while true {
            let writer = try? await replication.primaryRegion()
            if writer == primary { return }
            guard ContinuousClock.now + writerPoll <= deadline else {
                throw FailoverError(
                    .providerFailure,
                    "Aurora does not name \(primary) the writer of '\(replication.globalClusterIdentifier)' yet "
                        + "(writer: \(writer?.rawValue ?? "none")); the global writer endpoint follows once it does")
            }
            try await Task.sleep(for: writerPoll)
        }
    }

    /// Not supported: Aurora Global Database replicates asynchronously and has no synchronous commit to turn on or
    /// off; `rds.global_db_rpo` bounds the lag instead.
    public func setSynchronousCommit(_ enabled: Bool, primary: RegionName) async throws {
        throw FailoverError(
            .notSupported,
            "Aurora Global Database has no synchronous commit to switch (replication is asynchronous; "
                + "rds.global_db_rpo bounds the lag)")
    }

    /// False: no commit waits for another region on Aurora Global Database.
    public func synchronousDurability() async -> Bool { false }
}
