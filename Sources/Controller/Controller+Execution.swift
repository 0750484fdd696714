import Failover
import Foundation

/// The failover plan's executor (DESIGN.md §4): the plan (`FailoverExecution`) decides, this carries its actions out.
extension Controller {
    /// Starts a new operation: saved (a new leader resumes it), on the timeline, and run; `alarm` is the reason the
    /// `failover` alarm is raised with, if it is.
    func begin(
        _ kind: FailoverOperation.Kind, from: RegionName, to: RegionName?, force: Bool = false, trigger: String,
        _ message: String, region: RegionName, alarm: String? = nil
    ) async -> FailoverOperation {
        let operation = FailoverOperation(
            id: Self.operationID(), kind: kind, from: from, to: to, force: force, step: .fence, startedAt: Date(),
            trigger: trigger)
        state.operation = operation
        execution = FailoverExecution(operation, resumed: false)
        await save()
        record(.started(kind), message, region: region, operation: operation)
        if let alarm { await setAlarm("failover", .alarm, reason: "\(kind.rawValue) \(operation.id) \(alarm)") }
        if !executing { startExecuting() }
        return operation
    }

    /// Starts the executor for the operation in the state (a new one, or one this term took over).
    func startExecuting() {
        guard let operation = state.operation else { return }
        execution = plan(of: operation)
        executing = true
        executor = Task { await self.execute() }
    }

    /// The plan of `operation`: the one this term runs, or, for an operation that began in an earlier term, a
    /// resumed one.
    func plan(of operation: FailoverOperation) -> FailoverExecution {
        if let execution, execution.operation.id == operation.id { return execution }
        return FailoverExecution(operation, resumed: true)
    }

    /// Runs the plan (`FailoverExecution`): carries out each of its actions and tells it how they ended, until it
    /// ends, is blocked or the term is. Each step acts on the world only while the term provably leads; the plan
    /// saves the operation where a resumed one needs it, so a controller killed at any point resumes at its step.
    func execute() async {
        defer { executing = false }
        var event = FailoverExecution.Event.start
        while !Task.isCancelled, !deposed, var plan = execution {
            let transition = plan.handle(event, at: Date())
            execution = plan
            if plan.phase != .ended { state.operation = plan.operation }
            var next: FailoverExecution.Event?
            for item in transition.items {
                switch item {
                case .record(let entry):
                    record(
                        entry.kind, entry.message, region: entry.region, operation: plan.operation, step: entry.step,
                        details: entry.details)
                case .act(let action):
                    if let outcome = await carryOut(action, of: plan.operation) { next = outcome }
                }
            }
            guard let next, !deposed else { return }
            event = next
        }
    }

    /// One action of the plan; returns what happened when the plan waits for it.
    func carryOut(_ action: FailoverExecution.Action, of operation: FailoverOperation) async
        -> FailoverExecution.Event?
    {
        switch action {
        case .save:
            await save()
            return nil
        case .alarm(let alarmState, let reason):
            await setAlarm("failover", alarmState, reason: reason)
            return nil
        case .end(let finished):
            state.operation = nil
            execution = nil
            if finished && operation.kind == .failover { state.lastFailoverAt = Date() }
            await save()
            if finished && operation.kind != .rejoin { metrics.failoverFinished(operation.kind.rawValue) }
            return nil
        case .wait(let until):
            let seconds = until.timeIntervalSinceNow
            if seconds > 0 { try? await Task.sleep(for: .milliseconds(Int(seconds * 1000))) }
            return .retryDue
        case .adoptPrimary(let target, let promoted):
            if promoted { state.promotions += 1 }
            // The new primary accepts only writes of the new epoch, and only then does any lease carry it (issue 14,
            // window 3): a portal whose writer endpoint still leads to the old primary writes nothing there, and
            // the old primary, fenced or not, refuses every write of the new epoch. A failure here runs the promote
            // step again, which finds the target promoted and binds it once more.
            let epoch = state.epoch + 1
            let bound = await attempt {
                try await withTimeout(.seconds(10)) { [actions] in try await actions.bindEpoch(epoch, on: target) }
                return .adopted
            }
            guard bound == .adopted else { return bound }
            record(
                .epochBound, "\(target)'s database accepts writes of epoch \(epoch) only", region: target,
                operation: operation, step: .promote, details: ["epoch": String(epoch)])
            boundEpoch = (target, epoch)
            if !state.awaitingRejoin.contains(operation.from) && operation.from != target {
                state.awaitingRejoin.append(operation.from)
            }
            state.primary = target
            state.epoch = epoch
            lastPrimaryLSN = nil
            await save()
            return .adopted
        case .perform(let step):
            return await attempt {
                guard operation.kind != .rejoin else {
                    return try await self.performRejoin(operation, of: self.state.primary, step: nil)
                }
                return try await self.perform(step, of: operation)
            }
        case .checkPromoted(let target):
            return await attempt {
                // Never promote twice: ask the target itself first (a term that died right after promoting it
                // comes back here).
                guard
                    let role = await self.prober.probe(target, vantage: self.configuration.region.rawValue)
                        .database?.role
                else { throw FailoverError(.providerFailure, "\(target)'s database does not answer") }
                return .targetIsPrimary(role == .primary)
            }
        case .promote(let target, let allowingDataLoss):
            return await attempt {
                // The other standbys stream from the target before it is promoted (cascading replication): they
                // follow its promotion without reconnecting (PostgreSQL keeps a downstream standby streaming
                // across its upstream's promotion, recovery_target_timeline 'latest'), so the synchronous standby
                // the new primary's commits wait for is there at once rather than a reconnect and a timeline
                // switch later. The fence step began that with the likely target (usually done by now); it ends
                // first, so that it cannot point a standby elsewhere after the lines below did.
                if let preparation = self.preparation, preparation.operation == operation.id {
                    self.preparation = nil
                    _ = await preparation.task.value
                }
                await self.repointOthers(to: target, of: operation)
                try await self.confirmLeadership()
                try await self.replication.promote(target, allowingDataLoss: allowingDataLoss)
                return .promoted
            }
        }
    }

    /// Runs a step's work under the term: its outcome as the plan's event, or nil when the term is over.
    func attempt(_ work: () async throws -> FailoverExecution.Event) async -> FailoverExecution.Event? {
        do {
            try await confirmLeadership()
            return try await work()
        } catch let error as FailoverError where error.code == .refused {
            return .refused(error.message)
        } catch is ControlStore.Deposed {
            return nil
        } catch {
            return .failed(String(describing: error))
        }
    }

    /// The work of a failover's or a switchover's step (all but promote, which the plan splits).
    func perform(_ step: FailoverOperation.Step, of operation: FailoverOperation) async throws
        -> FailoverExecution.Event
    {
        switch step {
        case .fence:
            try await fence(operation)
        case .select:
            return .stepDone(selected: try await select(operation))
        case .promote, .done:
            // The plan asks for these as `checkPromoted`/`promote` and `end`, never as a step's work.
            throw FailoverError(.invalidArgument, "the \(step.rawValue) step has no work of its own")
        case .repoint:
            guard let target = operation.to else { break }
            await repointOthers(to: target, of: operation)
        case .writer:
            guard let target = operation.to else { break }
            try await withTimeout(.seconds(10)) { [actions] in try await actions.moveWriterEndpoint(to: target) }
            record(
                .writerMoved, "the writer endpoint leads to \(target)", region: target, operation: operation,
                step: step)
        case .traffic:
            guard let target = operation.to else { break }
            // The old primary's region takes no traffic now (after a switchover it restarts as a standby); the
            // traffic policy gives it back once it has been healthy for the recovery threshold.
            for (region, dial) in [
                (operation.from, TrafficDial.off), (target, state.drained.contains(target) ? .off : .full),
            ] {
                try await confirmLeadership()
                try await withTimeout(.seconds(5)) { [traffic] in try await traffic.setTrafficDial(dial, for: region) }
                dials[region] = dial
                record(.trafficDial, "\(region) dial → \(dial)", region: region, operation: operation, step: step)
            }
            if operation.kind == .switchover {
                // The former primary becomes a standby of the new one right away: it has nothing the new one lacks.
                return try await performRejoin(operation, of: target, step: step)
            }
        }
        return .stepDone()
    }

}
