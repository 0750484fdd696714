import Failover
import Foundation

/// The work of the plan's steps on the world: fence, select, repoint, prepare, rejoin.
extension Controller {
    /// Points every standby but the target at it (once per operation and term: the promote step does it first, the
    /// repoint step again after a resumed plan). A standby that cannot be repointed stays a lagging standby.
    func repointOthers(to target: RegionName, of operation: FailoverOperation) async {
        for region in state.regions
        where region != target && region != operation.from && !state.awaitingRejoin.contains(region)
            && !repointed.contains(Repointed(operation: operation.id, standby: region, target: target))
        {
            do {
                try await confirmLeadership()
                try await withTimeout(.seconds(10)) { [actions] in try await actions.repoint(region, to: target) }
                repointed.insert(Repointed(operation: operation.id, standby: region, target: target))
                record(
                    .repointed, "\(region) now streams from \(target)", region: region, operation: operation,
                    step: operation.step)
            } catch {
                record(
                    .repointFailed, "\(region) could not be repointed: \(error); it stays a lagging standby",
                    region: region, operation: operation, step: operation.step)
            }
        }
    }

    /// Fence: no more leases for the old primary's region; wait until every lease it held has surely ended (or
    /// its writers are confirmed stopped). A switchover also makes the old primary's database refuse writes,
    /// which must succeed; a failover tries that and goes on when the database cannot be reached.
    func fence(_ operation: FailoverOperation) async throws {
        let from = operation.from
        if operation.kind == .switchover {
            try await withTimeout(.seconds(10)) { [actions] in try await actions.fenceDatabase(from) }
            record(
                .databaseFenced, "\(operation.from)'s database refuses writes", region: operation.from,
                operation: operation, step: .fence)
            return
        }
        // Every lease granted from a state read sent before the operation was committed (which happened before this
        // step began) ends within the lease duration; a replica's grants also end with its etcd session.
        let waitStarted = ContinuousClock.now
        let deadline = waitStarted + settings.leaseDuration + settings.clockMargin
        // The likely target is made ready meanwhile, whether the fence ends at once (a crashed region) or waits
        // for the leases: a standby that cascades from it before the promotion saves the reconnection across the
        // WAN after it (about 2 s between eu-west-1 and ap-southeast-2), which sync commits would wait for.
        let fenced = operation
        let bound = settings.leaseDuration + settings.clockMargin
        preparation = (operation.id, Task { await self.prepareLikelyTarget(of: fenced, within: bound) })
        // The old primary's database is told to refuse writes, best effort and off the wait: fencing an
        // unreachable database takes its whole timeout, and a crashed one needs none.
        Task { [actions, settings] in
            // Like every action, only while the term provably leads (this task is not the executor's child).
            guard (try? await self.confirmLeadership()) != nil,
                (try? await withTimeout(settings.probeTimeout * 2, { try await actions.fenceDatabase(from) })) != nil
            else { return }
            self.databaseFenced.insert(fenced.id)
            self.record(
                .databaseFenced, "\(from)'s database refuses writes", region: from, operation: fenced, step: .fence)
        }
        while true {
            if await actions.writersStopped(in: from) {
                record(
                    .writersStopped, "every process of \(from) that could write is confirmed stopped", region: from,
                    operation: operation, step: .fence)
                return
            }
            let granters = try? await store.granters(of: from)
            let waited = ["waitedMilliseconds": String(waitStarted.duration(to: .now).wholeMilliseconds)]
            // The grants end with their replicas' sessions, but a standby region's answer from before the operation
            // (writes through the writer endpoint, which still leads here) ends only with the lease duration: the
            // early end needs the old primary's database fenced too (issue 14, window 3).
            if granters?.isEmpty == true && databaseFenced.contains(operation.id) {
                record(
                    .leaseExpired,
                    "no replica holds a grant of \(from)'s lease any more (its etcd session ended or it withdrew the "
                        + "grant): every such lease has ended",
                    region: from, operation: operation, step: .fence, details: waited)
                return
            }
            if ContinuousClock.now >= deadline {
                record(
                    .leaseExpired,
                    "every lease of \(from) granted before the fence has surely ended (lease duration + clock margin)",
                    region: from, operation: operation, step: .fence, details: waited)
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// While the fence runs, the standby that `select` would choose now is made ready for promotion (its peers
    /// cascade from it): the surviving standbys then follow the promotion on the connections they have. Bounded by
    /// the longest fence; the promote step waits for it.
    /// The choice is made from the latest probes (the select step asks every standby again), so it starts at
    /// once; returns the standby it prepared, if any.
    func prepareLikelyTarget(of operation: FailoverOperation, within bound: Duration) async -> RegionName? {
        let started = ContinuousClock.now
        let excluded = Set(state.awaitingRejoin + [operation.from])
        let regions = state.regions.filter { !excluded.contains($0) }
        let known = regions.compactMap { region in databases[region].map { (region, Optional($0)) } }
        let standbys =
            known.count == regions.count
            ? Dictionary(uniqueKeysWithValues: known) : await probeDatabases(regions)
        let left = bound - started.duration(to: .now)
        guard let (likely, _) = try? candidate(among: standbys, excluded: excluded, for: operation), left > .zero,
            !Task.isCancelled, (try? await confirmLeadership()) != nil
        else { return nil }
        await prepare(likely, within: left, of: operation, step: .fence, while: "\(operation.from) is fenced")
        return likely
    }

    /// Each of `regions`' databases as the controller's probe sees it now (nil: no answer), all asked at once.
    func probeDatabases(_ regions: [RegionName]) async -> [RegionName: DatabaseProbe?] {
        let vantage = configuration.region.rawValue
        return await withTaskGroup(of: (RegionName, DatabaseProbe?).self) { group in
            for region in regions {
                group.addTask { [prober] in (region, await prober.probe(region, vantage: vantage).database) }
            }
            var databases: [RegionName: DatabaseProbe?] = [:]
            for await (region, probe) in group { databases[region] = probe }
            return databases
        }
    }

    /// The standby `select` takes from what `standbys` answered, for `operation`.
    func candidate(
        among standbys: [RegionName: DatabaseProbe?], excluded: Set<RegionName>, for operation: FailoverOperation,
        heardAtLeast: Int? = nil
    ) throws(FailoverError) -> (region: RegionName, lagBytes: UInt64?) {
        try CandidateSelection.select(
            standbys: standbys, excluded: excluded, requested: operation.to, oldPrimaryLSN: lastPrimaryLSN,
            maxLag: settings.maxLagOnFailover, force: operation.force, priority: state.regions,
            heardAtLeast: heardAtLeast)
    }

    /// `FailoverActions.prepareFailover`, bounded, and on the timeline when it succeeded.
    private func prepare(
        _ target: RegionName, within bound: Duration, of operation: FailoverOperation, step: FailoverOperation.Step,
        while reason: String
    ) async {
        guard
            let pointed = try? await withTimeout(bound, { [actions] in try await actions.prepareFailover(to: target) })
        else { return }
        for standby in pointed {
            repointed.insert(Repointed(operation: operation.id, standby: standby, target: target))
        }
        record(
            .prepared, "\(target) made ready for promotion while \(reason)", region: target, operation: operation,
            step: step)
    }

    /// Select: the standby with the highest replayed LSN (or the requested one), within the lag bound; a
    /// switchover first waits until the target has replayed everything the old primary wrote.
    /// Returns the chosen target.
    func select(_ operation: FailoverOperation) async throws -> RegionName {
        let excluded = Set(state.awaitingRejoin + [operation.from])
        if operation.kind == .switchover, let target = operation.to {
            guard let primaryLSN = try await currentLSN(of: operation.from) else {
                record(
                    .caughtUp,
                    "\(operation.from) reports no WAL position: the provider's switchover waits for \(target) to "
                        + "catch up itself (Aurora's does)", region: target, operation: operation, step: .select)
                return target
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while true {
                let probe = await prober.probe(target, vantage: configuration.region.rawValue).database
                if let replayed = probe?.replayedLSN, replayed >= primaryLSN {
                    record(
                        .caughtUp,
                        "\(target) has replayed \(replayed) ≥ \(operation.from)'s last position \(primaryLSN)",
                        region: target, operation: operation, step: .select)
                    // Now that it has everything, the other standbys may cascade from it (a fraction of a second
                    // here saves them a reconnection across the WAN after the promotion).
                    await prepare(
                        target, within: .seconds(1), of: operation, step: .select, while: "fenced for a switchover")
                    return target
                }
                guard ContinuousClock.now < deadline else {
                    throw FailoverError(
                        .refused, "\(target) did not replay \(primaryLSN) within 30 s; switchover abandoned")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        // Every standby must be heard: with ANY 1 synchronous standby, an acknowledged write may be on only one
        // of them. One that does not answer is asked again for a few seconds before the choice is made without it.
        var standbys: [RegionName: DatabaseProbe?] = [:]
        let askUntil = ContinuousClock.now + max(settings.probeTimeout * 5, .seconds(3))
        repeat {
            let unheard = state.regions.filter { !excluded.contains($0) && (standbys[$0] ?? nil) == nil }
            for (region, probe) in await probeDatabases(unheard) where probe != nil || standbys[region] == nil {
                standbys[region] = probe
            }
            if standbys.values.allSatisfy({ $0 != nil }) { break }
            try await Task.sleep(for: .milliseconds(100))
        } while ContinuousClock.now < askUntil
        // Issue 14, window 1: with synchronous commits (ANY 1 of n), every standby must be heard; a person may force.
        let synchronous = await actions.synchronousDurability() && !state.synchronousCommitSuspended
        for (region, probe) in standbys where probe == nil {
            record(
                .standbyUnreachable,
                "\(region) did not answer: "
                    + (synchronous && !operation.force
                        ? "no choice without it (an acknowledged commit may be only there)"
                        : "chosen without it (its WAL, if any, is out of reach)"),
                region: region, operation: operation, step: .select)
        }
        let (chosen, lag) = try candidate(
            among: standbys, excluded: excluded, for: operation, heardAtLeast: synchronous ? standbys.count : nil)
        var operation = operation
        operation.to = chosen
        record(
            .selected,
            "\(chosen) selected: received \(standbys[chosen]??.flushedLSN?.description ?? "?"), replayed "
                + "\(standbys[chosen]??.replayedLSN?.description ?? "?"), "
                + "\(lag.map { "\($0) bytes behind the old primary's last known position" } ?? "old primary's position unknown")",
            region: chosen, operation: operation, step: .select,
            details: Dictionary(
                uniqueKeysWithValues: standbys.map {
                    ($0.key.rawValue, $0.value?.replayedLSN?.description ?? "unreachable")
                }))
        return chosen
    }

    /// The WAL position of `region`'s database now (fencing ends every session, the probe's too: a few tries);
    /// nil when it answers without one (a provider that exposes no positions, as Aurora's API).
    func currentLSN(of region: RegionName) async throws -> LogSequenceNumber? {
        guard let database = await answeringDatabase(region) else {
            throw FailoverError(.refused, "\(region)'s database does not answer: a switchover needs it; use failover")
        }
        return database.replayedLSN
    }

    /// `region`'s database as it answers now, asked for up to five seconds (fencing ends every session, the
    /// probe's too; a just-rejoined standby is still starting).
    func answeringDatabase(_ region: RegionName) async -> DatabaseProbe? {
        for _ in 0..<20 {
            if let database = await prober.probe(region, vantage: configuration.region.rawValue).database {
                return database
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return nil
    }

    /// The operation's former primary (`from`) back as a standby of `primary`: a rejoin's one step, a switchover's
    /// end.
    func performRejoin(
        _ operation: FailoverOperation, of primary: RegionName, step: FailoverOperation.Step?
    ) async throws -> FailoverExecution.Event {
        try await replication.rejoin(operation.from)
        state.awaitingRejoin.removeAll { $0 == operation.from }
        healthyRounds[operation.from] = 0
        record(
            .rejoined, "\(operation.from) streams from \(primary) as a standby", region: operation.from,
            operation: operation, step: step)
        return .stepDone()
    }
}

/// A standby pointed at a failover's target during the operation.
struct Repointed: Hashable {
    let operation: String
    let standby: RegionName
    let target: RegionName
}
