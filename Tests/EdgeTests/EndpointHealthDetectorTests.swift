import Testing

@testable import Edge

/// The health detector, one transition per test, with probe times given as plain values.
@Suite struct EndpointHealthDetectorTests {
    typealias Detector = EndpointHealthDetector<ContinuousClock.Instant>
    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    func unhealthyDetector() -> Detector {
        var detector = Detector(failureThreshold: 2, recoveryThreshold: 3)
        _ = detector.handle(.probeFailed(reason: "status 503", at: at(0)))
        _ = detector.handle(.probeFailed(reason: "status 503", at: at(100)))
        return detector
    }

    @Test func startsHealthyWithNoProbes() {
        let detector = Detector(failureThreshold: 3, recoveryThreshold: 3)
        #expect(detector.status == .healthy)
        #expect(detector.since == nil)
    }

    @Test func failureBelowThresholdKeepsEndpointHealthy() {
        var detector = Detector(failureThreshold: 3, recoveryThreshold: 3)
        #expect(detector.handle(.probeFailed(reason: "timed out", at: at(0))) == nil)
        #expect(detector.status == .healthy)
        #expect(detector.consecutiveFailures == 1)
    }

    @Test func failureAtThresholdMakesEndpointUnhealthy() {
        var detector = Detector(failureThreshold: 2, recoveryThreshold: 2)
        _ = detector.handle(.probeFailed(reason: "timed out", at: at(0)))
        let transition = detector.handle(.probeFailed(reason: "status 503", at: at(250)))
        #expect(transition == .becameUnhealthy(at: at(250), reason: "status 503"))
        #expect(detector.status == .unhealthy)
        #expect(detector.since == at(250))
    }

    @Test func successResetsTheFailureCount() {
        var detector = Detector(failureThreshold: 2, recoveryThreshold: 2)
        _ = detector.handle(.probeFailed(reason: "timed out", at: at(0)))
        #expect(detector.handle(.probeSucceeded(at: at(250))) == nil)
        #expect(detector.consecutiveFailures == 0)
        #expect(detector.handle(.probeFailed(reason: "timed out", at: at(500))) == nil)
        #expect(detector.status == .healthy)
    }

    @Test func successBelowRecoveryThresholdKeepsEndpointUnhealthy() {
        var detector = unhealthyDetector()
        #expect(detector.handle(.probeSucceeded(at: at(200))) == nil)
        #expect(detector.status == .unhealthy)
        #expect(detector.consecutiveSuccesses == 1)
    }

    @Test func successAtRecoveryThresholdMakesEndpointHealthy() {
        var detector = unhealthyDetector()
        _ = detector.handle(.probeSucceeded(at: at(200)))
        _ = detector.handle(.probeSucceeded(at: at(300)))
        #expect(detector.handle(.probeSucceeded(at: at(400))) == .becameHealthy(at: at(400)))
        #expect(detector.status == .healthy)
        #expect(detector.since == at(400))
    }

    @Test func failureDuringRecoveryRestartsTheCount() {
        var detector = unhealthyDetector()
        _ = detector.handle(.probeSucceeded(at: at(200)))
        _ = detector.handle(.probeSucceeded(at: at(300)))
        #expect(detector.handle(.probeFailed(reason: "timed out", at: at(400))) == nil)
        #expect(detector.consecutiveSuccesses == 0)
        #expect(detector.status == .unhealthy)
    }
}
