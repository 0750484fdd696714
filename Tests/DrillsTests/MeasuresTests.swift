import Foundation
import Testing

@testable import Drills

/// Measures of synthetic histories whose times are exact.
@Suite struct MeasuresTests {
    /// Ten seconds, ten requests a second, alternating writes and reads. The fault is at 3.0 s: writes fail
    /// until 5.5 s and reads until 4.2 s; traffic moves from us-east-1 to eu-west-1 at the fault.
    static func faultedHistory() -> DrillHistory {
        var builder = HistoryBuilder()
        for tick in 0..<100 {
            let sent = Double(tick) / 10
            let write = tick % 2 == 0
            let down = sent >= 3 && sent < (write ? 5.5 : 4.2)
            builder.region = sent < 3 ? "us-east-1" : "eu-west-1"
            let latency = Double(tick % 10 + 1) / 1000  // 1 ms … 10 ms in every second
            builder.record(
                write ? .updateProfile : .readProfile, "c\(tick % 7)@example.com", down ? .failed : .ok, at: sent,
                latency: latency)
        }
        return builder.history
    }

    static let context = DrillContext(
        scenario: "region-crash", durability: "sync", fault: DrillEvent(time: 3.0, name: "crash us-east-1"),
        detectionTime: 3.8, timeline: [DrillEvent(time: 4.5, name: "promote", detail: "eu-west-1")])

    @Test func perSecondCountsErrorsAndRegionShares() {
        let measures = DrillMeasures(history: Self.faultedHistory(), context: Self.context)
        #expect(measures.seconds.count == 10)
        #expect(measures.seconds.map(\.requests.sent) == Array(repeating: 10, count: 10))
        #expect(measures.seconds.map(\.requests.errors) == [0, 0, 0, 10, 6, 3, 0, 0, 0, 0])
        #expect(measures.seconds[4].requests.errorRate == 0.6)
        #expect(measures.seconds[2].requests.regions == ["us-east-1": 10])
        #expect(measures.seconds[3].requests.regions == ["eu-west-1": 10])
        #expect(measures.total.sent == 100 && measures.total.errors == 19)
        #expect(measures.regionShare == ["us-east-1": 0.3, "eu-west-1": 0.7])
        #expect(measures.errorsAfterFault == 19)
        #expect(measures.byOperation["update-profile"]?.sent == 50)
    }

    @Test func latencyPercentilesPerSecond() throws {
        let measures = DrillMeasures(history: Self.faultedHistory(), context: Self.context)
        let latency = try #require(measures.seconds[0].requests.latency)
        #expect(latency.count == 10)
        #expect(abs(latency.p50 - 5) < 0.05)
        #expect(abs(latency.p99 - 10) < 0.05)
        #expect(abs(latency.max - 10) < 0.05)
        #expect(measures.seconds[3].requests.latency == nil)  // nothing succeeded
    }

    @Test func recoveryTimesCountOnlyRequestsSentAfterTheFault() throws {
        let measures = DrillMeasures(history: Self.faultedHistory(), context: Self.context)
        let writes = try #require(measures.writeRecovery)
        let reads = try #require(measures.readRecovery)
        // The first write sent at or after 5.5 s is tick 56 (5.6 s), answered 7 ms later.
        #expect(abs(writes.seconds - 2.607) < 1e-9)
        #expect(writes.operation == 56)
        // The first read sent at or after 4.2 s is tick 43 (4.3 s), answered 4 ms later.
        #expect(abs(reads.seconds - 1.304) < 1e-9)
        #expect(abs(try #require(measures.detectionSeconds) - 0.8) < 1e-9)
        #expect(DrillMeasures.recovery(in: Self.faultedHistory(), after: 3, writes: true) == writes)
    }

    /// A write that slips through right after the fault, or between two failures, is not the recovery; a 4xx
    /// is the request's own fault and a lone timeout well after the recovery does not undo it.
    @Test func sustainedRecoveryIsTheFirstSuccessThatLasts() throws {
        var builder = HistoryBuilder()
        builder.record(.updateProfile, "a@example.com", at: 3.05)  // slipped through
        for tick in 1...10 {
            builder.record(.updateProfile, "a@example.com", tick == 5 ? .ok : .indeterminate, at: 3 + Double(tick) / 10)
        }
        builder.record(.signUp, "b@example.com", .failed, status: 409, at: 4.1)  // a duplicate: no outage
        for tick in 0..<8 { builder.record(.updateProfile, "a@example.com", at: 4.2 + Double(tick) / 10) }
        builder.record(.updateProfile, "a@example.com", .indeterminate, at: 6)  // a stray timeout later
        let operations = builder.history.operations
        // The deployment's rto counts the write that slipped through; the sustained figure does not.
        let first = try #require(DrillMeasures.recovery(in: builder.history, after: 3, writes: true))
        #expect(abs(first.seconds - 0.07) < 1e-9)
        let recovery = try #require(DrillMeasures.sustainedRecovery(operations, after: 3, writes: true))
        // The update sent at 4.2 s, answered 20 ms later (the 409 at 4.1 s is no success, and no outage either).
        #expect(abs(recovery.seconds - 1.22) < 1e-9)
        #expect(DrillMeasures.sustainedRecovery(operations, after: 3, writes: false) == nil)
    }

    @Test func noFaultMeansNoRecoveryFigures() {
        let measures = DrillMeasures(
            history: Self.faultedHistory(), context: DrillContext(scenario: "baseline", durability: "sync"))
        #expect(measures.writeRecovery == nil && measures.readRecovery == nil && measures.detectionSeconds == nil)
        #expect(measures.errorsAfterFault == 0)
    }

    @Test func nothingSucceedingAfterTheFaultHasNoRecovery() {
        var builder = HistoryBuilder()
        builder.record(.updateProfile, "a@example.com", at: 0.5)
        builder.record(.updateProfile, "a@example.com", .indeterminate, at: 2.5)
        let measures = DrillMeasures(
            history: builder.history,
            context: DrillContext(scenario: "x", durability: "sync", fault: DrillEvent(time: 1, name: "crash")))
        #expect(measures.writeRecovery == nil)
        #expect(measures.errorsAfterFault == 1)
    }

    /// The workload's own bookkeeping, driven by a manual clock: send and answer times come from the
    /// injected clock, and the measures follow them.
    @Test func workloadRecordsTimesFromTheInjectedClock() async throws {
        let clock = ManualClock()
        var configuration = WorkloadConfiguration(baseURL: "http://127.0.0.1:1")
        configuration.locations = ["eu"]
        configuration.seed = 7
        let state = WorkloadState(configuration: configuration, clock: clock)
        await state.begin()
        clock.advance(by: .milliseconds(1500))
        let signUp = await state.planSignUp()
        clock.advance(by: .milliseconds(250))
        let created = PortalClient.Reply(
            status: 201, region: "eu-west-1", consistencyToken: "0/3000060", problem: nil, retryAfter: nil,
            fields: ["id": "account-1"])
        await state.complete(signUp, .success(created))
        let logIn = try #require(await state.planLogIn(customer: signUp.operation.client))
        #expect(logIn.consistencyToken == "0/3000060")
        clock.advance(by: .seconds(2))
        await state.complete(logIn, .failure(PortalClient.NoAnswer(reason: "timeout")))
        let history = await state.finish()

        #expect(history.operations.count == 2)
        let first = history.operations[0]
        #expect(first.kind == .signUp && first.sent == 1.5 && first.answered == 1.75 && first.outcome == .ok)
        #expect(first.region == "eu-west-1" && first.accountID == "account-1" && first.location == "eu")
        let second = history.operations[1]
        #expect(second.kind == .logIn && second.sent == 1.75 && second.answered == nil)
        #expect(second.outcome == .indeterminate && second.error == "timeout")

        let measures = DrillMeasures(history: history, context: DrillContext(scenario: "t", durability: "sync"))
        #expect(measures.seconds.count == 2)
        #expect(measures.seconds[1].requests.ok == 1 && measures.seconds[1].requests.indeterminate == 1)
        #expect(abs((measures.seconds[1].requests.latency?.p50 ?? 0) - 250) < 0.5)
    }

    @Test func openLoopShedsBeyondTheInFlightBound() async {
        let clock = ManualClock()
        var configuration = WorkloadConfiguration(baseURL: "http://127.0.0.1:1")
        configuration.maxInFlight = 2
        let state = WorkloadState(configuration: configuration, clock: clock)
        await state.begin()
        _ = await state.plan(.signUp)
        _ = await state.plan(.signUp)
        #expect(await state.plan(.signUp) == nil)
        #expect(await state.plan(.readProfile) == nil)
        let progress = await state.currentProgress()
        #expect(progress.inFlight == 2 && progress.shed == 2)
        let history = await state.finish()
        #expect(
            history.operations.filter { $0.outcome == .shed }.map(\.error)
                == Array(repeating: "in-flight limit (2)", count: 2))
    }
}
