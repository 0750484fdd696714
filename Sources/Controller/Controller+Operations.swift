import Failover
import Foundation

extension Controller {
    /// Starts the executor for the saved operation (also one resumed after a restart).
    func startExecuting() {
        executing = true
        executor = Task { await self.execute() }
    }

    /// Runs the operation's remaining steps; each step is saved before and after it runs, so a controller killed
    /// at any point resumes at the step it was in. Promotion happens at most once: the step checks first
    /// whether the target already is the primary.
    func execute() async {
        defer { executing = false }
        while var operation = state.operation, !Task.isCancelled, !deposed {
            if operation.step == .done {
                await finish(operation)
                return
            }
            let step = operation.step
            record(
                "step-started", "\(operation.kind.rawValue) step \(step.rawValue)",
                region: operation.to ?? operation.from, operation: operation, step: step)
            let started = ContinuousClock.now
            do {
                // Every step acts on the world only while the term provably leads.
                try await confirmLeadership()
                switch operation.kind {
                case .failover, .switchover: try await perform(step, of: &operation)
                case .rejoin: try await performRejoin(&operation)
                }
            } catch let error as FailoverError where error.code == .refused {
                record(
                    "\(operation.kind.rawValue)-blocked", error.message, region: operation.from, operation: operation,
                    step: step)
                await setAlarm(
                    "failover", .alarm, reason: "\(operation.kind.rawValue) \(operation.id) blocked: \(error.message)")
                if operation.kind != .failover || step < .promote {
                    // Nothing irreversible happened: a blocked switchover or rejoin is abandoned; a blocked failover
                    // stays, fenced, for a person to decide (drctl failover --to REGION --force).
                    if operation.kind != .failover {
                        state.operation = nil
                        await save()
                    }
                }
                return
            } catch is ControlStore.Deposed {
                return
            } catch {
                record(
                    "step-failed", "\(step.rawValue) failed: \(error); retrying", region: operation.from,
                    operation: operation, step: step)
                try? await Task.sleep(for: .milliseconds(500))
                continue
            }
            let elapsed = started.duration(to: .now)
            record(
                "step-finished",
                "\(operation.kind.rawValue) step \(step.rawValue) done in \(elapsed.wholeMilliseconds) ms",
                region: operation.to ?? operation.from, operation: operation, step: step,
                details: ["milliseconds": String(elapsed.wholeMilliseconds)])
            operation.step = operation.kind == .rejoin ? .done : step.next
            state.operation = operation
            // Saved (a write through the etcd majority, across the WAN) where a resumed plan needs it: the chosen
            // target, before it is promoted. The promote step saves the new primary itself; fence, repoint, writer
            // and traffic are safe to run again, so a new leader that resumes one step early only repeats it.
            if step == .select || operation.step == .done || operation.kind == .rejoin { await save() }
        }
    }

    func perform(_ step: FailoverOperation.Step, of operation: inout FailoverOperation) async throws {
        switch step {
        case .fence:
            try await fence(&operation)
        case .select:
            try await select(&operation)
        case .promote:
            guard let target = operation.to else { throw FailoverError(.refused, "no target selected") }
            // Never promote twice: ask the target itself first (a controller that died right after promoting comes
            // back here).
            guard let role = await prober.probe(target, vantage: configuration.region.rawValue).database?.role else {
                throw FailoverError(.providerFailure, "\(target)'s database does not answer")
            }
            if role == .primary {
                record(
                    "promotion-skipped", "\(target) is already primary: not promoting again", region: target,
                    operation: operation, step: step)
            } else {
                // The other standbys stream from the target before it is promoted (cascading replication): they
                // follow its promotion without reconnecting (PostgreSQL keeps a downstream standby streaming across
                // its upstream's promotion, recovery_target_timeline 'latest'), so the synchronous standby the new
                // primary's commits wait for is there at once rather than a reconnect and a timeline switch later.
                // The fence step began that with the likely target (usually done by now); it ends first, so that it
                // cannot point a standby elsewhere after the lines below did.
                if let preparation, preparation.operation == operation.id {
                    self.preparation = nil
                    _ = await preparation.task.value
                }
                await repointOthers(to: target, of: operation)
                try await confirmLeadership()
                try await replication.promote(target)
                state.promotions += 1
                record("promoted", "\(target) promoted to primary", region: target, operation: operation, step: step)
            }
            if !state.awaitingRejoin.contains(operation.from) && operation.from != target {
                state.awaitingRejoin.append(operation.from)
            }
            state.primary = target
            state.epoch += 1
            lastPrimaryLSN = nil
            await save()
        case .repoint:
            guard let target = operation.to else { return }
            await repointOthers(to: target, of: operation)
        case .writer:
            guard let target = operation.to else { return }
            try await withTimeout(.seconds(10)) { [actions] in try await actions.moveWriterEndpoint(to: target) }
            record(
                "writer-moved", "the writer endpoint leads to \(target)", region: target, operation: operation,
                step: step)
        case .traffic:
            guard let target = operation.to else { return }
            // The old primary's region takes no traffic now (after a switchover it restarts as a standby); the
            // traffic policy gives it back once it has been healthy for the recovery threshold.
            for (region, dial) in [
                (operation.from, TrafficDial.off), (target, state.drained.contains(target) ? .off : .full),
            ] {
                try await confirmLeadership()
                try await withTimeout(.seconds(5)) { [traffic] in try await traffic.setTrafficDial(dial, for: region) }
                dials[region] = dial
                record("traffic-dial", "\(region) dial → \(dial)", region: region, operation: operation, step: step)
            }
            if operation.kind == .switchover {
                // The former primary becomes a standby of the new one right away: it has nothing the new one lacks.
                try await replication.rejoin(operation.from)
                state.awaitingRejoin.removeAll { $0 == operation.from }
                healthyRounds[operation.from] = 0
                record(
                    "rejoined", "\(operation.from) streams from \(target) as a standby", region: operation.from,
                    operation: operation, step: step)
            }
        case .done:
            return
        }
    }

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
                    "repointed", "\(region) now streams from \(target)", region: region, operation: operation,
                    step: operation.step)
            } catch {
                record(
                    "repoint-failed", "\(region) could not be repointed: \(error); it stays a lagging standby",
                    region: region, operation: operation, step: operation.step)
            }
        }
    }

    /// Fence: no more leases for the old primary's region; wait until every lease it held has surely ended (or
    /// its writers are confirmed stopped). A switchover also makes the old primary's database refuse writes,
    /// which must succeed; a failover tries that and goes on when the database cannot be reached.
    func fence(_ operation: inout FailoverOperation) async throws {
        let from = operation.from
        if operation.kind == .switchover {
            try await withTimeout(.seconds(10)) { [actions] in try await actions.fenceDatabase(from) }
            record(
                "database-fenced", "\(operation.from)'s database refuses writes", region: operation.from,
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
            self.record(
                "database-fenced", "\(from)'s database refuses writes", region: from, operation: fenced, step: .fence)
        }
        while true {
            if await actions.writersStopped(in: from) {
                record(
                    "writers-stopped", "every process of \(from) that could write is confirmed stopped", region: from,
                    operation: operation, step: .fence)
                return
            }
            let granters = try? await store.granters(of: from)
            let waited = ["waitedMilliseconds": String(waitStarted.duration(to: .now).wholeMilliseconds)]
            if granters?.isEmpty == true {
                record(
                    "lease-expired",
                    "no replica holds a grant of \(from)'s lease any more (its etcd session ended or it withdrew the "
                        + "grant): every such lease has ended",
                    region: from, operation: operation, step: .fence, details: waited)
                return
            }
            if ContinuousClock.now >= deadline {
                record(
                    "lease-expired",
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
        among standbys: [RegionName: DatabaseProbe?], excluded: Set<RegionName>, for operation: FailoverOperation
    ) throws(FailoverError) -> (region: RegionName, lagBytes: UInt64?) {
        try CandidateSelection.select(
            standbys: standbys, excluded: excluded, requested: operation.to, oldPrimaryLSN: lastPrimaryLSN,
            maxLag: settings.maxLagOnFailover, force: operation.force, priority: state.regions)
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
            "prepared", "\(target) made ready for promotion while \(reason)", region: target, operation: operation,
            step: step)
    }

    /// Select: the standby with the highest replayed LSN (or the requested one), within the lag bound; a
    /// switchover first waits until the target has replayed everything the old primary wrote.
    func select(_ operation: inout FailoverOperation) async throws {
        let excluded = Set(state.awaitingRejoin + [operation.from])
        if operation.kind == .switchover, let target = operation.to {
            let primaryLSN = try await currentLSN(of: operation.from)
            let deadline = ContinuousClock.now + .seconds(30)
            while true {
                let probe = await prober.probe(target, vantage: configuration.region.rawValue).database
                if let replayed = probe?.replayedLSN, replayed >= primaryLSN {
                    record(
                        "caught-up",
                        "\(target) has replayed \(replayed) ≥ \(operation.from)'s last position \(primaryLSN)",
                        region: target, operation: operation, step: .select)
                    // Now that it has everything, the other standbys may cascade from it (a fraction of a second
                    // here saves them a reconnection across the WAN after the promotion).
                    await prepare(
                        target, within: .seconds(1), of: operation, step: .select, while: "fenced for a switchover")
                    return
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
        for (region, probe) in standbys where probe == nil {
            record(
                "standby-unreachable", "\(region) did not answer: chosen without it (its WAL, if any, is out of reach)",
                region: region, operation: operation, step: .select)
        }
        let (chosen, lag) = try candidate(among: standbys, excluded: excluded, for: operation)
        operation.to = chosen
        record(
            "selected",
            "\(chosen) selected: received \(standbys[chosen]??.flushedLSN?.description ?? "?"), replayed "
                + "\(standbys[chosen]??.replayedLSN?.description ?? "?"), "
                + "\(lag.map { "\($0) bytes behind the old primary's last known position" } ?? "old primary's position unknown")",
            region: chosen, operation: operation, step: .select,
            details: Dictionary(
                uniqueKeysWithValues: standbys.map {
                    ($0.key.rawValue, $0.value?.replayedLSN?.description ?? "unreachable")
                }))
    }

    /// The WAL position of `region`'s database now (fencing ends every session, the probe's too: a few tries).
    func currentLSN(of region: RegionName) async throws -> LogSequenceNumber {
        guard let lsn = await answeringDatabase(region)?.replayedLSN else {
            throw FailoverError(.refused, "\(region)'s database does not answer: a switchover needs it; use failover")
        }
        return lsn
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

    func performRejoin(_ operation: inout FailoverOperation) async throws {
        try await replication.rejoin(operation.from)
        state.awaitingRejoin.removeAll { $0 == operation.from }
        healthyRounds[operation.from] = 0
        record(
            "rejoined", "\(operation.from) streams from \(state.primary) as a standby", region: operation.from,
            operation: operation, step: nil)
    }

    func finish(_ operation: FailoverOperation) async {
        state.operation = nil
        if operation.kind == .failover { state.lastFailoverAt = Date() }
        await save()
        let seconds = Date().timeIntervalSince(operation.startedAt)
        record(
            "\(operation.kind.rawValue)-finished",
            "\(operation.kind.rawValue) \(operation.id) finished in \(String(format: "%.2f", seconds)) s; primary \(state.primary), epoch \(state.epoch)",
            region: operation.to ?? operation.from, operation: operation,
            details: ["seconds": String(format: "%.3f", seconds)])
        if operation.kind != .rejoin {
            await setAlarm("failover", .ok, reason: "\(operation.kind.rawValue) \(operation.id) finished")
            metrics.failoverFinished(operation.kind.rawValue)
        }
    }

    // MARK: Requests from people (drctl)

    /// `drctl failover --to REGION [--force]`: the same plan as the automatic one. Continues a blocked failover.
    public func requestFailover(to target: RegionName, force: Bool) async throws -> FailoverOperation {
        guard state.regions.contains(target) else {
            throw FailoverError(
                .unknownRegion,
                "no region '\(target)' (regions: \(state.regions.map(\.rawValue).joined(separator: ", ")))")
        }
        if var operation = state.operation {
            guard operation.kind == .failover, operation.step <= .select else {
                throw FailoverError(
                    .refused,
                    "\(operation.kind.rawValue) \(operation.id) is in progress at step \(operation.step.rawValue)")
            }
            operation.to = target
            operation.force = operation.force || force
            operation.step = max(operation.step, .fence)
            state.operation = operation
            await save()
            record(
                "failover-continued", "manual: fail over to \(target)\(force ? " (forced)" : "")", region: target,
                operation: operation)
            if !executing { startExecuting() }
            return operation
        }
        guard target != state.primary else { throw FailoverError(.refused, "\(target) already holds the primary") }
        // Refuse before fencing anything when the target cannot qualify.
        let excluded = Set(state.awaitingRejoin + [state.primary])
        let probe = await prober.probe(target, vantage: configuration.region.rawValue).database
        _ = try CandidateSelection.select(
            standbys: [target: probe], excluded: excluded, requested: target, oldPrimaryLSN: lastPrimaryLSN,
            maxLag: settings.maxLagOnFailover, force: force)
        let operation = FailoverOperation(
            id: Self.operationID(), kind: .failover, from: state.primary, to: target, force: force, step: .fence,
            startedAt: Date(), trigger: "manual")
        state.operation = operation
        await save()
        record(
            "failover-started", "manual failover to \(target)\(force ? " (forced)" : "")", region: state.primary,
            operation: operation)
        await setAlarm("failover", .alarm, reason: "failover \(operation.id) started by an operator")
        if !executing { startExecuting() }
        return operation
    }

    /// `drctl switchover --to REGION`: planned, zero loss.
    public func requestSwitchover(to target: RegionName) async throws -> FailoverOperation {
        guard state.regions.contains(target) else { throw FailoverError(.unknownRegion, "no region '\(target)'") }
        guard state.operation == nil else {
            throw FailoverError(.refused, "\(state.operation!.kind.rawValue) \(state.operation!.id) is in progress")
        }
        guard target != state.primary else { throw FailoverError(.refused, "\(target) already holds the primary") }
        guard !state.awaitingRejoin.contains(target) else {
            throw FailoverError(.refused, "\(target) awaits rejoin: run drctl rejoin \(target) first")
        }
        // Ask now rather than trust the last probe: right after a rejoin the target has just restarted.
        guard await answeringDatabase(target)?.role == .standby else {
            throw FailoverError(.refused, "\(target)'s database is not a reachable standby")
        }
        guard await answeringDatabase(state.primary)?.role == .primary else {
            throw FailoverError(
                .refused, "the primary \(state.primary) does not answer: a switchover needs it; use failover")
        }
        let operation = FailoverOperation(
            id: Self.operationID(), kind: .switchover, from: state.primary, to: target, force: false, step: .fence,
            startedAt: Date(), trigger: "manual")
        state.operation = operation
        await save()
        record(
            "switchover-started", "planned switchover \(state.primary) → \(target)", region: target,
            operation: operation)
        if !executing { startExecuting() }
        return operation
    }

    /// `drctl rejoin REGION`: a former primary back as a standby.
    public func requestRejoin(_ region: RegionName) async throws -> FailoverOperation {
        guard state.regions.contains(region) else { throw FailoverError(.unknownRegion, "no region '\(region)'") }
        guard state.operation == nil else {
            throw FailoverError(.refused, "\(state.operation!.kind.rawValue) \(state.operation!.id) is in progress")
        }
        guard region != state.primary else {
            throw FailoverError(.refused, "\(region) holds the primary; it cannot rejoin as a standby")
        }
        let operation = FailoverOperation(
            id: Self.operationID(), kind: .rejoin, from: region, to: nil, force: false, step: .fence, startedAt: Date(),
            trigger: "manual")
        state.operation = operation
        await save()
        record(
            "rejoin-started", "rejoin \(region) as a standby of \(state.primary)", region: region, operation: operation)
        if !executing { startExecuting() }
        return operation
    }

    public func setMode(_ mode: ControllerMode) async {
        guard mode != state.mode else { return }
        state.mode = mode
        await save()
        record("mode-changed", "mode is now \(mode.rawValue)")
    }

    public func setDrained(_ region: RegionName, _ drained: Bool) async throws {
        guard state.regions.contains(region) else { throw FailoverError(.unknownRegion, "no region '\(region)'") }
        state.drained.removeAll { $0 == region }
        if drained { state.drained.append(region) }
        if !drained { healthyRounds[region] = max(healthyRounds[region] ?? 0, settings.recoveryThreshold) }
        await save()
        record(
            drained ? "drained" : "undrained",
            drained ? "\(region) drained: dial 0 until undrained" : "\(region) undrained", region: region)
    }
}

/// A standby pointed at a failover's target during the operation.
struct Repointed: Hashable {
    let operation: String
    let standby: RegionName
    let target: RegionName
}
