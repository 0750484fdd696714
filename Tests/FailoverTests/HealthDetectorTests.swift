import Failover
import Testing

@Suite struct HealthDetectorTests {
    @Test func staysUnknownUntilEnoughGoodProbes() {
        var detector = HealthDetector()
        detector.record(.healthy, failureThreshold: 3, recoveryThreshold: 5)
        detector.record(.healthy, failureThreshold: 3, recoveryThreshold: 5)
        #expect(detector.verdict == .unknown)
        let changed = detector.record(.healthy, failureThreshold: 3, recoveryThreshold: 5)
        #expect(changed)
        #expect(detector.verdict == .healthy)
    }

    @Test func healthyBecomesDownAfterTheFailureThreshold() {
        var detector = HealthDetector()
        for _ in 0..<3 { detector.record(.healthy, failureThreshold: 3, recoveryThreshold: 5) }
        detector.record(.unreachable, failureThreshold: 3, recoveryThreshold: 5)
        detector.record(.unreachable, failureThreshold: 3, recoveryThreshold: 5)
        #expect(detector.verdict == .healthy)
        let changed = detector.record(.unreachable, failureThreshold: 3, recoveryThreshold: 5)
        #expect(changed)
        #expect(detector.verdict == .unreachable)
    }

    @Test func oneGoodProbeResetsTheFailureStreak() {
        var detector = HealthDetector()
        for _ in 0..<3 { detector.record(.healthy, failureThreshold: 3, recoveryThreshold: 5) }
        detector.record(.unreachable, failureThreshold: 3, recoveryThreshold: 5)
        detector.record(.unreachable, failureThreshold: 3, recoveryThreshold: 5)
        detector.record(.healthy, failureThreshold: 3, recoveryThreshold: 5)
        detector.record(.unreachable, failureThreshold: 3, recoveryThreshold: 5)
        #expect(detector.verdict == .healthy)
    }

    @Test func downBecomesHealthyOnlyAfterTheRecoveryThreshold() {
        var detector = HealthDetector()
        for _ in 0..<3 { detector.record(.databaseDown, failureThreshold: 3, recoveryThreshold: 5) }
        #expect(detector.verdict == .databaseDown)
        for _ in 0..<4 { detector.record(.healthy, failureThreshold: 3, recoveryThreshold: 5) }
        #expect(detector.verdict == .databaseDown)
        let changed = detector.record(.healthy, failureThreshold: 3, recoveryThreshold: 5)
        #expect(changed)
        #expect(detector.verdict == .healthy)
    }

    @Test func theVerdictFollowsTheLatestKindOfFailure() {
        var detector = HealthDetector()
        for _ in 0..<3 { detector.record(.portalDown, failureThreshold: 3, recoveryThreshold: 5) }
        detector.record(.unreachable, failureThreshold: 3, recoveryThreshold: 5)
        #expect(detector.verdict == .unreachable)
    }
}

@Suite struct ProbeClassificationTests {
    func observation(ready: Bool?, answered: Bool?, database: Bool, latency: Double = 10) -> ProbeObservation {
        ProbeObservation(
            region: "us-east-1", vantage: "controller", portalReady: ready, portalAnswered: answered,
            database: database ? DatabaseProbe(role: .primary, replayedLSN: nil, flushedLSN: nil) : nil,
            databaseProbed: true, latencyMilliseconds: latency)
    }

    @Test func readyAndFastIsHealthy() {
        #expect(
            observation(ready: true, answered: true, database: true).condition(slowThreshold: .milliseconds(250))
                == .healthy)
    }

    @Test func readyButSlowIsSlow() {
        #expect(
            observation(ready: true, answered: true, database: true, latency: 400).condition(
                slowThreshold: .milliseconds(250)) == .slow)
    }

    @Test func databaseAnswersPortalDoesNot() {
        #expect(
            observation(ready: false, answered: false, database: true).condition(slowThreshold: .milliseconds(250))
                == .portalDown)
    }

    @Test func portalAnswersNotReadyAndDatabaseSilentIsDatabaseDown() {
        #expect(
            observation(ready: false, answered: true, database: false).condition(slowThreshold: .milliseconds(250))
                == .databaseDown)
    }

    @Test func nothingAnswersIsUnreachable() {
        #expect(
            observation(ready: false, answered: false, database: false).condition(slowThreshold: .milliseconds(250))
                == .unreachable)
    }

    @Test func baselineIsTheLowestRecentLatency() {
        var baseline = BaselineLatency(capacity: 3)
        for sample in [300.0, 260, 280] { baseline.record(sample) }
        #expect(baseline.milliseconds == 260)
        baseline.record(500)  // replaces the oldest (300)
        baseline.record(500)  // replaces 260
        #expect(baseline.milliseconds == 280)
    }
}

@Suite struct QuorumTests {
    @Test func aVantagePointThatSeesEveryOtherRegionDownAbstains() {
        let isolated = RegionAssessment.isolated([
            // Cut off (or stalled): both regions it probes across the WAN look down; its own region does not count.
            "us-east-1": ["us-east-1": .healthy, "eu-west-1": .unreachable, "ap-southeast-2": .portalDown],
            // Sees one region down and another up: a real loss, its vote counts.
            "eu-west-1": ["us-east-1": .unreachable, "eu-west-1": .healthy, "ap-southeast-2": .healthy],
            // Every region down, its own among none: the edge abstains too.
            "edge": ["us-east-1": .unreachable, "eu-west-1": .unreachable, "ap-southeast-2": .unreachable],
        ])
        #expect(isolated == ["us-east-1", "edge"])
    }

    @Test func oneRegionDownWithTheOtherStillUnknownIsNoIsolation() {
        // A fresh detector has no verdict yet: one known down verdict is not "everything down".
        let isolated = RegionAssessment.isolated([
            "ap-southeast-2": ["us-east-1": .unreachable, "eu-west-1": .unknown],
            // With two regions a replica probes one other region: it never abstains.
            "eu-west-1": ["us-east-1": .unreachable, "eu-west-1": .healthy],
        ])
        #expect(isolated.isEmpty)
    }

    @Test func oneVantagePointAloneCannotDeclareARegionDown() {
        let assessment = RegionAssessment.assess(
            region: "us-east-1",
            votes: ["controller": .healthy, "edge": .healthy, "eu-west-1": .unreachable, "ap-southeast-2": .healthy],
            vantagePoints: 4)
        #expect(assessment.condition == .healthy)
    }

    @Test func aMajorityDeclaresItDown() {
        let assessment = RegionAssessment.assess(
            region: "us-east-1",
            votes: [
                "controller": .unreachable, "edge": .healthy, "eu-west-1": .unreachable, "ap-southeast-2": .unreachable,
            ],
            vantagePoints: 4)
        #expect(assessment.condition == .unreachable)
        #expect(assessment.quorum == 3)
    }

    @Test func silentVantagePointsDoNotCountTowardsDown() {
        let assessment = RegionAssessment.assess(
            region: "us-east-1", votes: ["controller": .unreachable, "edge": .unreachable], vantagePoints: 4)
        #expect(assessment.condition == .unknown)
    }

    @Test func slowAndDownVotesTogetherMakeSlow() {
        let assessment = RegionAssessment.assess(
            region: "us-east-1",
            votes: ["controller": .slow, "edge": .healthy, "eu-west-1": .slow, "ap-southeast-2": .unreachable],
            vantagePoints: 4)
        #expect(assessment.condition == .slow)
    }

    @Test func theMostCommonDownKindWins() {
        let assessment = RegionAssessment.assess(
            region: "us-east-1",
            votes: ["controller": .databaseDown, "edge": .unreachable, "eu-west-1": .databaseDown],
            vantagePoints: 3)
        #expect(assessment.condition == .databaseDown)
    }
}
