import Testing

@testable import Accounts

/// A hand-driven instant, so each transition is tested without sleeping.
struct TestInstant: InstantProtocol {
    var offset: Duration
    func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }
    func duration(to other: TestInstant) -> Duration { other.offset - offset }
    static func < (lhs: TestInstant, rhs: TestInstant) -> Bool { lhs.offset < rhs.offset }
    static let zero = TestInstant(offset: .zero)
}

@Suite struct LoginThrottleTests {
    let limits = ThrottleLimits(
        freeFailures: 3, baseDelay: .seconds(1), maximumDelay: .seconds(8), forgetAfter: .seconds(60))

    @Test func freeFailuresDoNotBlock() {
        var throttle = LoginThrottle<TestInstant>()
        for _ in 0..<3 { #expect(throttle.recordFailure("k", limits: limits, now: .zero) == nil) }
        #expect(throttle.retryAfter("k", now: .zero) == nil)
    }

    @Test func theFirstFailureBeyondTheAllowanceBlocksForTheBaseDelay() {
        var throttle = LoginThrottle<TestInstant>()
        for _ in 0..<3 { throttle.recordFailure("k", limits: limits, now: .zero) }
        #expect(throttle.recordFailure("k", limits: limits, now: .zero) == .seconds(1))
        #expect(throttle.retryAfter("k", now: .zero) == .seconds(1))
        #expect(throttle.retryAfter("k", now: TestInstant(offset: .seconds(1))) == nil)
    }

    @Test func theDelayDoublesAndIsCapped() {
        var throttle = LoginThrottle<TestInstant>()
        var delays: [Duration?] = []
        for _ in 0..<8 { delays.append(throttle.recordFailure("k", limits: limits, now: .zero)) }
        #expect(delays == [nil, nil, nil, .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8)])
    }

    @Test func successClearsTheKey() {
        var throttle = LoginThrottle<TestInstant>()
        for _ in 0..<5 { throttle.recordFailure("k", limits: limits, now: .zero) }
        throttle.recordSuccess("k")
        #expect(throttle.retryAfter("k", now: .zero) == nil)
        #expect(throttle.recordFailure("k", limits: limits, now: .zero) == nil)
    }

    @Test func oldFailuresAreForgotten() {
        var throttle = LoginThrottle<TestInstant>()
        for _ in 0..<3 { throttle.recordFailure("k", limits: limits, now: .zero) }
        #expect(throttle.recordFailure("k", limits: limits, now: TestInstant(offset: .seconds(61))) == nil)
    }

    @Test func keysAreIndependent() {
        var throttle = LoginThrottle<TestInstant>()
        for _ in 0..<4 { throttle.recordFailure("a", limits: limits, now: .zero) }
        #expect(throttle.retryAfter("a", now: .zero) != nil)
        #expect(throttle.retryAfter("b", now: .zero) == nil)
    }

    @Test func memoryIsBounded() {
        var throttle = LoginThrottle<TestInstant>(capacity: 100)
        for index in 0..<1000 {
            throttle.recordFailure("key-\(index)", limits: limits, now: TestInstant(offset: .milliseconds(index)))
        }
        #expect(throttle.count <= 100)
    }
}
