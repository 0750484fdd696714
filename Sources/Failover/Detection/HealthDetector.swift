/// One vantage point's verdict on one region, from consecutive probes (like a Route 53 health checker):
/// `failureThreshold` bad probes in a row make it bad, `recoveryThreshold` good ones in a row make it good again.
/// A value type: feed it conditions, read the verdict.
public struct HealthDetector: Hashable, Sendable, Codable {
    public private(set) var verdict: RegionCondition = .unknown
    public private(set) var badStreak = 0
    public private(set) var goodStreak = 0

    public init() {}

    /// Records one probe's condition; returns true when the verdict changed.
    @discardableResult
    public mutating func record(_ condition: RegionCondition, failureThreshold: Int, recoveryThreshold: Int) -> Bool {
        let before = verdict
        switch condition {
        case .unknown:
            return false
        case .healthy:
            goodStreak += 1
            badStreak = 0
            // From no verdict, as many good probes as it takes to fail are enough; after a failure, the
            // recovery threshold.
            let needed = verdict == .unknown ? failureThreshold : recoveryThreshold
            if verdict != .healthy && goodStreak >= needed { verdict = .healthy }
        default:
            badStreak += 1
            goodStreak = 0
            if badStreak >= failureThreshold { verdict = condition }
        }
        return verdict != before
    }
}
