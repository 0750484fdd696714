import Foundation

/// What the controller decides about the primary region in one round (DESIGN.md §4).
public enum FailoverDecision: Hashable, Sendable {
    case none
    /// Fail over now (automatic mode).
    case failover(reason: String)
    /// A failover is needed but a person decides (manual mode, or held back by the cool-down).
    case needsOperator(reason: String)

    /// Only a primary whose database is unusable is failed over: a slow region or one whose portals alone are
    /// down keeps its database (traffic moves away instead).
    public static func decide(
        primary: RegionAssessment?, state: ControllerState, now: Date, cooldown: Duration
    ) -> FailoverDecision {
        guard state.operation == nil, let primary else { return .none }
        guard primary.condition == .unreachable || primary.condition == .databaseDown else { return .none }
        let reason = "\(primary.region) is \(primary.condition.rawValue) (\(primary.votesText))"
        if state.mode == .manual { return .needsOperator(reason: reason + "; mode is manual") }
        if state.inCooldown(at: now, cooldown: cooldown) {
            return .needsOperator(reason: reason + "; within the cool-down after the last failover")
        }
        return .failover(reason: reason)
    }
}

extension RegionAssessment {
    /// `controller=unreachable edge=unreachable …`.
    public var votesText: String {
        votes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: " ")
    }
}

/// Traffic dials the controller wants (DESIGN.md §4): a region serves when it is healthy, not drained and not a
/// former primary awaiting rejoin; a region that lost its traffic gets it back only after `recoveryRounds`
/// healthy rounds in a row. Never every region at 0: the primary keeps its traffic as a last resort.
public enum TrafficPolicy {
    public static func dials(
        state: ControllerState, conditions: [RegionName: RegionCondition], healthyRounds: [RegionName: Int],
        current: [RegionName: TrafficDial], recoveryRounds: Int
    ) -> [RegionName: TrafficDial] {
        var dials: [RegionName: TrafficDial] = [:]
        for region in state.regions {
            let condition = conditions[region] ?? .unknown
            let now = current[region] ?? .full
            if state.drained.contains(region) || state.awaitingRejoin.contains(region) || condition.isDown
                || condition == .slow
            {
                dials[region] = .off
            } else if condition == .healthy {
                dials[region] = now == .off && (healthyRounds[region] ?? 0) < recoveryRounds ? .off : .full
            } else {
                dials[region] = now
            }
        }
        if dials.values.allSatisfy({ $0 == .off }) { dials[state.primary] = .full }
        return dials
    }
}
