import Foundation

/// The primary's synchronous standby under the `sync-standby-policy` (DESIGN.md invariant 2), as a value: given
/// what the primary reports each round, it says which alarm holds and when to stop waiting for a standby
/// (`degrade-after`: RPO 0 suspended) or to wait again. The controller carries the decisions out.
public struct SynchronousStandbyWatch: Hashable, Sendable {
    public let policy: SyncStandbyPolicy
    /// Since when no standby acknowledges commits.
    public private(set) var missingSince: Date?

    public enum Action: Hashable, Sendable {
        /// The `no-sync-standby` alarm.
        case alarm(Alarm.State, reason: String)
        /// Commits stop waiting for a standby: no standby for `after`.
        case suspend(after: Duration)
        /// A standby streams again: commits wait for it again.
        case restore
    }

    public init(policy: SyncStandbyPolicy) { self.policy = policy }

    /// One round: `synchronous` are the standbys the primary counts as synchronous now, `streaming` those that
    /// stream at all, `suspended` whether waiting is off (an earlier `suspend`).
    public mutating func observe(
        synchronous: [String], streaming: [String], suspended: Bool, at now: Date
    ) -> [Action] {
        if suspended {
            guard !streaming.isEmpty else { return [] }
            missingSince = nil
            return [.restore]
        }
        guard synchronous.isEmpty else {
            missingSince = nil
            return [.alarm(.ok, reason: "\(synchronous.joined(separator: ",")) synchronous")]
        }
        let since = missingSince ?? now
        missingSince = since
        var actions: [Action] = [.alarm(.alarm, reason: "no standby acknowledges commits: writes wait")]
        if case .degradeAfter(let limit) = policy, now.timeIntervalSince(since) >= limit.seconds {
            actions.append(.suspend(after: limit))
        }
        return actions
    }
}
