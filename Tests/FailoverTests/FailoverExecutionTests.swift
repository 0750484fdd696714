import Failover
import Foundation
import Testing

/// The plan, one transition per test, with a fixed clock: `t(s)` is `s` seconds after the operation started.
@Suite struct FailoverExecutionTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    func t(_ seconds: Double) -> Date { Self.start + seconds }

    func operation(
        _ kind: FailoverOperation.Kind = .failover, to: RegionName? = nil, force: Bool = false,
        step: FailoverOperation.Step = .fence
    ) -> FailoverOperation {
        FailoverOperation(
            id: "op-1", kind: kind, from: "us-east-1", to: to, force: force, step: step, startedAt: Self.start,
            trigger: "automatic")
    }

    /// A plan whose current step is running (started at `t(0)`).
    func running(_ operation: FailoverOperation, resumed: Bool = false) -> FailoverExecution {
        var plan = FailoverExecution(operation, resumed: resumed)
        _ = plan.handle(.start, at: t(0))
        return plan
    }

    @Test func aNewPlanStartsWithItsFenceStep() {
        var plan = FailoverExecution(operation(), resumed: false)
        let transition = plan.handle(.start, at: t(0))
        #expect(transition.actions == [.perform(.fence)])
        #expect(transition.timeline.map(\.kind) == [.stepStarted])
        #expect(transition.timeline.first?.step == .fence)
        #expect(plan.phase == .running(since: t(0)))
    }

    @Test func eachStepThatEndsStartsTheNextInOrderAndSaysHowLongItTook() {
        var plan = running(operation())
        let fenced = plan.handle(.stepDone(), at: t(1.25))
        #expect(fenced.timeline.map(\.kind) == [.stepFinished, .stepStarted])
        #expect(fenced.timeline[0].details?["milliseconds"] == "1250")
        #expect(fenced.timeline[0].step == .fence && fenced.timeline[1].step == .select)
        #expect(fenced.actions == [.perform(.select)])
    }

    @Test func theSelectStepsChoiceBecomesTheTargetAndIsSavedBeforeThePromotion() {
        var plan = running(operation(step: .select))
        let selected = plan.handle(.stepDone(selected: "eu-west-1"), at: t(2))
        #expect(plan.operation.to == "eu-west-1")
        #expect(plan.operation.step == .promote)
        #expect(selected.actions == [.save, .checkPromoted("eu-west-1")])
    }

    @Test func aTargetNotYetPrimaryIsPromotedWithoutDataLossUnlessForced() {
        for force in [false, true] {
            var plan = running(operation(to: "eu-west-1", force: force, step: .promote))
            let checked = plan.handle(.targetIsPrimary(false), at: t(1))
            #expect(checked.actions == [.promote("eu-west-1", allowingDataLoss: force)])
            #expect(checked.timeline.isEmpty)
        }
    }

    @Test func aPromotionIsRecordedAdoptedAndFollowedByTheRepointStep() {
        var plan = running(operation(to: "eu-west-1", step: .promote))
        _ = plan.handle(.targetIsPrimary(false), at: t(1))
        let promoted = plan.handle(.promoted, at: t(1.5))
        #expect(promoted.timeline.map(\.kind) == [.promoted])
        #expect(promoted.actions == [.adoptPrimary("eu-west-1", promoted: true)])
        // The step ends once the new primary is saved.
        let adopted = plan.handle(.adopted, at: t(1.75))
        #expect(adopted.timeline.map(\.kind) == [.stepFinished, .stepStarted])
        #expect(adopted.timeline.first?.details?["milliseconds"] == "1750")
        #expect(adopted.actions == [.perform(.repoint)])
    }

    @Test func aTargetThatIsAlreadyPrimaryIsNeverPromotedAgain() {
        // A term that died right after promoting: the new one resumes at the promote step.
        var plan = running(operation(to: "eu-west-1", step: .promote), resumed: true)
        let checked = plan.handle(.targetIsPrimary(true), at: t(1))
        #expect(checked.timeline.map(\.kind) == [.promotionSkipped])
        #expect(checked.actions == [.adoptPrimary("eu-west-1", promoted: false)])
        #expect(plan.handle(.adopted, at: t(1.2)).actions == [.perform(.repoint)])
        #expect(!checked.actions.contains { if case .promote = $0 { true } else { false } })
    }

    @Test func aResumedPlanSaysSoAndGoesOnAtItsSavedStep() {
        var plan = FailoverExecution(operation(to: "eu-west-1", step: .promote), resumed: true)
        let transition = plan.handle(.start, at: t(3))
        #expect(transition.timeline.map(\.kind) == [.operationResumed, .stepStarted])
        #expect(transition.actions == [.checkPromoted("eu-west-1")])
    }

    @Test func aPromoteStepWithoutATargetIsRefused() {
        var plan = FailoverExecution(operation(step: .promote), resumed: true)
        let transition = plan.handle(.start, at: t(0))
        #expect(transition.timeline.map(\.kind) == [.operationResumed, .stepStarted, .failoverBlocked])
        #expect(!transition.actions.contains(.checkPromoted("eu-west-1")))
    }

    @Test func theLastStepEndsTheOperationAndClearsTheAlarm() {
        var plan = running(operation(to: "eu-west-1", step: .traffic))
        let done = plan.handle(.stepDone(), at: t(4.5))
        #expect(done.timeline.map(\.kind) == [.stepFinished, .failoverFinished])
        #expect(done.timeline.last?.step == nil)
        #expect(done.timeline.last?.details?["seconds"] == "4.500")
        #expect(done.actions == [.end(finished: true), .alarm(.ok, reason: "failover op-1 finished")])
        #expect(plan.phase == .ended)
        #expect(plan.handle(.stepDone(), at: t(5)) == FailoverExecution.Transition())
    }

    @Test func aFailedStepIsRecordedAndRunsAgainAfterAPause() {
        var plan = running(operation(to: "eu-west-1", step: .writer))
        let failed = plan.handle(.failed("timeout"), at: t(1))
        #expect(failed.timeline.map(\.kind) == [.stepFailed])
        #expect(failed.actions == [.wait(until: t(1) + FailoverExecution.failedRetry.seconds)])
        let again = plan.handle(.retryDue, at: t(1.5))
        #expect(again.timeline.map(\.kind) == [.stepStarted])
        #expect(again.actions == [.perform(.writer)])
    }

    @Test func aRefusedFailoverIsBlockedFencedAndWaitsBeforeItTriesAgain() {
        var plan = running(operation(step: .select))
        let blocked = plan.handle(.refused("no standby within the lag bound"), at: t(2))
        #expect(blocked.timeline.map(\.kind) == [.failoverBlocked])
        #expect(blocked.actions == [.alarm(.alarm, reason: "failover op-1 blocked: no standby within the lag bound")])
        // No action that answers: the executor stops; the operation stays (its region stays fenced).
        #expect(plan.operation.step == .select)
        #expect(!plan.runnable(at: t(2) + FailoverExecution.blockedRetry.seconds - 0.1))
        #expect(plan.runnable(at: t(2) + FailoverExecution.blockedRetry.seconds))
    }

    @Test func theSameRefusalAgainIsNotRecordedAgain() {
        var plan = running(operation(step: .select))
        _ = plan.handle(.refused("no standby answers"), at: t(2))
        let retried = plan.handle(.start, at: t(7))
        #expect(retried.timeline.isEmpty)
        #expect(retried.actions == [.perform(.select)])
        #expect(plan.handle(.refused("no standby answers"), at: t(8)) == FailoverExecution.Transition())
        let other = plan.handle(.start, at: t(13))
        #expect(other.actions == [.perform(.select)])
        #expect(plan.handle(.refused("eu-west-1 lags"), at: t(14)).timeline.map(\.kind) == [.failoverBlocked])
    }

    @Test func aPersonContinuesABlockedFailoverAtOnceAndMayForceIt() {
        var plan = running(operation(to: "eu-west-1", step: .promote))
        _ = plan.handle(.targetIsPrimary(false), at: t(1))
        _ = plan.handle(.refused("SwitchoverGlobalCluster failed"), at: t(2))
        #expect(!plan.runnable(at: t(3)))
        let continued = plan.handle(.continued(to: "eu-west-1", force: true), at: t(3))
        #expect(continued.actions == [.save])
        #expect(plan.operation.force)
        #expect(plan.runnable(at: t(3)))
        _ = plan.handle(.start, at: t(3))
        #expect(
            plan.handle(.targetIsPrimary(false), at: t(3.1)).actions == [.promote("eu-west-1", allowingDataLoss: true)])
    }

    @Test func aRefusedSwitchoverOrRejoinIsAbandoned() {
        for kind in [FailoverOperation.Kind.switchover, .rejoin] {
            var plan = running(operation(kind, to: kind == .switchover ? "eu-west-1" : nil, step: .select))
            let refused = plan.handle(.refused("did not catch up"), at: t(30))
            #expect(
                refused.timeline.map(\.kind) == [
                    .blocked(kind), kind == .switchover ? .switchoverAbandoned : .rejoinAbandoned,
                ])
            #expect(refused.actions.last == .end(finished: false))
            #expect(plan.phase == .ended)
        }
    }

    @Test func aRejoinIsOneStepAndRaisesNoFailoverAlarm() {
        var plan = FailoverExecution(operation(.rejoin), resumed: false)
        #expect(plan.handle(.start, at: t(0)).actions == [.perform(.fence)])
        let done = plan.handle(.stepDone(), at: t(8))
        #expect(done.timeline.map(\.kind) == [.stepFinished, .rejoinFinished])
        #expect(done.actions == [.end(finished: true)])
    }

    @Test func aLateAnswerToAStepThatIsNotRunningChangesNothing() {
        var plan = FailoverExecution(operation(to: "eu-west-1", step: .writer), resumed: false)
        #expect(plan.handle(.stepDone(), at: t(1)) == FailoverExecution.Transition())
        #expect(plan.handle(.promoted, at: t(1)) == FailoverExecution.Transition())
        #expect(plan.phase == .ready)
    }
}

@Suite struct TimelineKindTests {
    @Test func wireNamesAreStableAndAnUnknownKindIsReadAsUnrecognized() throws {
        #expect(TimelineEvent.Kind.stepFinished.rawValue == "step-finished")
        #expect(TimelineEvent.Kind.region(.databaseDown) == .regionDown)
        #expect(TimelineEvent.Kind.region(.slow).rawValue == "region-slow")
        let decoded = try JSONDecoder().decode(
            [TimelineEvent.Kind].self, from: Data(#"["promoted","a-kind-from-a-newer-replica"]"#.utf8))
        #expect(decoded == [.promoted, .unrecognized])
        #expect(Set(TimelineEvent.Kind.allCases.map(\.rawValue)).count == TimelineEvent.Kind.allCases.count)
    }
}

@Suite struct SynchronousStandbyWatchTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func withoutAStandbyWritesWaitAndDegradeOnlyAfterTheLimit() {
        var watch = SynchronousStandbyWatch(policy: .degradeAfter(.seconds(10)))
        let waiting = SynchronousStandbyWatch.Action.alarm(
            .alarm, reason: "no standby acknowledges commits: writes wait")
        #expect(watch.observe(synchronous: [], streaming: [], suspended: false, at: Self.start) == [waiting])
        #expect(watch.observe(synchronous: [], streaming: [], suspended: false, at: Self.start + 9.9) == [waiting])
        #expect(
            watch.observe(synchronous: [], streaming: [], suspended: false, at: Self.start + 10)
                == [waiting, .suspend(after: .seconds(10))])
    }

    @Test func theBlockPolicyNeverDegrades() {
        var watch = SynchronousStandbyWatch(policy: .block)
        _ = watch.observe(synchronous: [], streaming: [], suspended: false, at: Self.start)
        let later = watch.observe(synchronous: [], streaming: [], suspended: false, at: Self.start + 3600)
        #expect(!later.contains(.suspend(after: .seconds(3600))) && later.count == 1)
    }

    @Test func aStandbyBackStartsTheCountAfresh() {
        var watch = SynchronousStandbyWatch(policy: .degradeAfter(.seconds(10)))
        _ = watch.observe(synchronous: [], streaming: [], suspended: false, at: Self.start)
        #expect(
            watch.observe(synchronous: ["eu-west-1"], streaming: ["eu-west-1"], suspended: false, at: Self.start + 8)
                == [.alarm(.ok, reason: "eu-west-1 synchronous")])
        #expect(watch.missingSince == nil)
        #expect(watch.observe(synchronous: [], streaming: [], suspended: false, at: Self.start + 12).count == 1)
    }

    @Test func aSuspendedPrimaryWaitsAgainOnceAStandbyStreams() {
        var watch = SynchronousStandbyWatch(policy: .degradeAfter(.seconds(10)))
        #expect(watch.observe(synchronous: [], streaming: [], suspended: true, at: Self.start) == [])
        #expect(watch.observe(synchronous: [], streaming: ["eu-west-1"], suspended: true, at: Self.start) == [.restore])
    }
}
