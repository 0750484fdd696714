import Failover
import Foundation

/// Requests from people (drctl): failover, switchover, rejoin, mode, drain.
extension Controller {
    /// `drctl failover --to REGION [--force]`: the same plan as the automatic one. Continues a blocked failover.
    public func requestFailover(to target: RegionName, force: Bool) async throws -> FailoverOperation {
        guard state.regions.contains(target) else {
            throw FailoverError(
                .unknownRegion,
                "no region '\(target)' (regions: \(state.regions.map(\.rawValue).joined(separator: ", ")))")
        }
        if let current = state.operation {
            guard current.kind == .failover, current.step <= .promote else {
                throw FailoverError(
                    .refused, "\(current.kind.rawValue) \(current.id) is in progress at step \(current.step.rawValue)")
            }
            // From the promote step on the target may already be promoted: only --force may be added then.
            if current.step == .promote, let chosen = current.to, chosen != target {
                throw FailoverError(
                    .refused,
                    "failover \(current.id) is at its promote step with target \(chosen): only --force may be added "
                        + "(drctl failover --to \(chosen) --force)")
            }
            var plan = plan(of: current)
            let transition = plan.handle(.continued(to: target, force: force), at: Date())
            execution = plan
            state.operation = plan.operation
            for action in transition.actions { _ = await carryOut(action, of: plan.operation) }
            record(
                .failoverContinued, "manual: fail over to \(target)\(force ? " (forced)" : "")", region: target,
                operation: plan.operation)
            if !executing { startExecuting() }
            return plan.operation
        }
        guard target != state.primary else { throw FailoverError(.refused, "\(target) already holds the primary") }
        // Refuse before fencing anything when the target cannot qualify.
        let excluded = Set(state.awaitingRejoin + [state.primary])
        let probe = await prober.probe(target, vantage: configuration.region.rawValue).database
        _ = try CandidateSelection.select(
            standbys: [target: probe], excluded: excluded, requested: target, oldPrimaryLSN: lastPrimaryLSN,
            maxLag: settings.maxLagOnFailover, force: force)
        return await begin(
            .failover, from: state.primary, to: target, force: force, trigger: "manual",
            "manual failover to \(target)\(force ? " (forced)" : "")", region: state.primary,
            alarm: "started by an operator")
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
        return await begin(
            .switchover, from: state.primary, to: target, trigger: "manual",
            "planned switchover \(state.primary) → \(target)", region: target)
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
        return await begin(
            .rejoin, from: region, to: nil, trigger: "manual", "rejoin \(region) as a standby of \(state.primary)",
            region: region)
    }

    public func setMode(_ mode: ControllerMode) async {
        guard mode != state.mode else { return }
        state.mode = mode
        await save()
        record(.modeChanged, "mode is now \(mode.rawValue)")
    }

    public func setDrained(_ region: RegionName, _ drained: Bool) async throws {
        guard state.regions.contains(region) else { throw FailoverError(.unknownRegion, "no region '\(region)'") }
        state.drained.removeAll { $0 == region }
        if drained { state.drained.append(region) }
        if !drained { healthyRounds[region] = max(healthyRounds[region] ?? 0, settings.recoveryThreshold) }
        await save()
        record(
            drained ? .drained : .undrained,
            drained ? "\(region) drained: dial 0 until undrained" : "\(region) undrained", region: region)
    }
}
