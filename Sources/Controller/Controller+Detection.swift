import Failover
import Foundation

/// Detection (DESIGN.md §4): every vantage point's detector, the reports of the other replicas, and the quorum's
/// assessment of each region.
extension Controller {
    /// Feeds one observation to its vantage point's detector.
    func observe(_ observation: ProbeObservation) {
        var relative = observation
        if observation.portalReady == true {
            var baseline = baselines[observation.vantage]?[observation.region] ?? BaselineLatency()
            baseline.record(observation.latencyMilliseconds)
            baselines[observation.vantage, default: [:]][observation.region] = baseline
            relative.latencyMilliseconds -= baseline.milliseconds
        }
        let condition = relative.condition(slowThreshold: settings.slowThreshold)
        var detector = detectors[observation.vantage]?[observation.region] ?? HealthDetector()
        let changed = detector.record(
            condition, failureThreshold: settings.failureThreshold, recoveryThreshold: settings.recoveryThreshold)
        detectors[observation.vantage, default: [:]][observation.region] = detector
        if changed {
            record(
                .vantageVerdict, "\(observation.vantage) sees \(observation.region) \(detector.verdict.rawValue)",
                region: observation.region, details: ["vantage": observation.vantage])
        }
    }

    /// Reports from the other replicas (each its region's vantage point); `leaseAnswered` says that the replica
    /// granted its region's portals a lease since its last report.
    public func report(vantage: String, observations: [ProbeObservation], leaseAnswered: Bool = false) {
        guard configuration.regions.contains(RegionName(vantage)), vantage != configuration.region.rawValue else {
            return
        }
        lastHeard[vantage] = .now
        if leaseAnswered { lastLeaseRequest = .now }
        for observation in observations where observation.vantage == vantage && observation.region.rawValue != vantage {
            observe(observation)
        }
    }

    /// How long a vantage point's verdicts count after it was last heard; also how far back a new leader's
    /// detectors are seeded (`seed`).
    public static func freshness(_ settings: ControllerSettings) -> Duration {
        max(settings.probeInterval * 5, settings.probeTimeout * 3)
    }

    /// A new term's detectors start from what the vantage points saw in the last `freshness`: this replica's own
    /// probes from before it led (given here, oldest first, before `run` and before any other observation), then
    /// the followers' reports, which carry what they could not deliver to the old leader. Without it a leader that
    /// takes over from one lost with the primary's region counts the region's failures again from zero.
    public func seed(_ observations: [ProbeObservation]) {
        for observation in observations { observe(observation) }
    }

    /// Combines the fresh verdicts into each region's assessment.
    func assess() async {
        let staleAfter = Self.freshness(settings)
        let now = ContinuousClock.now
        var fresh: [String: [RegionName: RegionCondition]] = [:]
        for (vantage, seen) in detectors {
            if vantage != configuration.region.rawValue {
                guard let heard = lastHeard[vantage], heard.duration(to: now) < staleAfter else { continue }
            }
            fresh[vantage] = seen.mapValues(\.verdict)
        }
        // A vantage point that sees every other region down at once abstains (a stalled machine or a cut-off
        // region must not fail the primary over).
        let isolated = RegionAssessment.isolated(fresh)
        for vantage in isolated.subtracting(isolatedVantagePoints).sorted() {
            record(.vantageIsolated, "\(vantage) sees every region it probes down: its votes are set aside")
        }
        for vantage in isolatedVantagePoints.subtracting(isolated).sorted() {
            record(.vantageRejoined, "\(vantage) sees a region up again: its votes count")
        }
        isolatedVantagePoints = isolated
        for region in state.regions {
            var votes: [String: RegionCondition] = [:]
            for vantage in configuration.vantagePoints(for: region) {
                if let verdict = fresh[vantage]?[region] {
                    votes[vantage] = isolated.contains(vantage) ? .unknown : verdict
                }
            }
            let assessment = RegionAssessment.assess(
                region: region, votes: votes, vantagePoints: configuration.vantagePoints(for: region).count)
            let previous = assessments[region]?.condition
            assessments[region] = assessment
            healthyRounds[region] = assessment.condition == .healthy ? (healthyRounds[region] ?? 0) + 1 : 0
            if previous != assessment.condition {
                record(
                    .region(assessment.condition),
                    "\(region) is \(assessment.condition.rawValue) by quorum \(assessment.quorum)/"
                        + "\(assessment.vantagePoints): \(assessment.votesText)", region: region)
            }
            switch assessment.condition {
            case .unknown:
                await setAlarm("region-health:\(region)", .insufficientData, reason: "not enough vantage points")
            case .healthy:
                await setAlarm("region-health:\(region)", .ok, reason: "healthy by quorum")
            case .slow:
                await setAlarm(
                    "region-health:\(region)", .alarm, reason: "slow (gray failure): \(assessment.votesText)")
            default:
                await setAlarm(
                    "region-health:\(region)", .alarm,
                    reason: "\(assessment.condition.rawValue): \(assessment.votesText)")
            }
        }
    }
}
