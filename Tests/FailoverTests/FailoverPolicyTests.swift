import Failover
import Foundation
import Testing

@Suite struct CandidateSelectionTests {
    func standby(_ lsn: UInt64) -> DatabaseProbe? {
        DatabaseProbe(role: .standby, replayedLSN: LogSequenceNumber(lsn), flushedLSN: LogSequenceNumber(lsn))
    }

    @Test func picksTheHighestReplayedPosition() throws {
        let choice = try CandidateSelection.select(
            standbys: ["eu-west-1": standby(100), "ap-southeast-2": standby(200)], excluded: [], requested: nil,
            oldPrimaryLSN: LogSequenceNumber(200), maxLag: 0, force: false)
        #expect(choice.region == "ap-southeast-2")
        #expect(choice.lagBytes == 0)
    }

    @Test func withSynchronousCommitsAnUnheardStandbyBlocksTheChoiceUntilForced() throws {
        // Issue 14, window 1: with ANY 1 of two standbys, the silent one may hold the only copy of an acknowledged
        // commit; the choice used to be made without it after a few seconds.
        let standbys: [RegionName: DatabaseProbe?] = ["eu-west-1": standby(100), "ap-southeast-2": nil]
        let error = #expect(throws: FailoverError.self) {
            try CandidateSelection.select(
                standbys: standbys, excluded: [], requested: nil, oldPrimaryLSN: nil, maxLag: 0, force: false,
                heardAtLeast: 2)
        }
        #expect(error?.message.contains("ap-southeast-2") == true)
        let forced = try CandidateSelection.select(
            standbys: standbys, excluded: [], requested: nil, oldPrimaryLSN: nil, maxLag: 0, force: true,
            heardAtLeast: 2)
        #expect(forced.region == "eu-west-1")
        // Without synchronous commits (no bound) the choice is made among those heard, as before.
        let asynchronous = try CandidateSelection.select(
            standbys: standbys, excluded: [], requested: nil, oldPrimaryLSN: nil, maxLag: 0, force: false)
        #expect(asynchronous.region == "eu-west-1")
        // Both heard: the bound is met.
        let heard = try CandidateSelection.select(
            standbys: ["eu-west-1": standby(100), "ap-southeast-2": standby(200)], excluded: [], requested: nil,
            oldPrimaryLSN: nil, maxLag: 0, force: false, heardAtLeast: 2)
        #expect(heard.region == "ap-southeast-2")
    }

    @Test func theMostReceivedWALWinsOverTheMostReplayed() throws {
        // ap-southeast-2 has flushed more (an acknowledged sync commit may be there only) but replayed less.
        let choice = try CandidateSelection.select(
            standbys: [
                "eu-west-1": DatabaseProbe(
                    role: .standby, replayedLSN: LogSequenceNumber(150), flushedLSN: LogSequenceNumber(150)),
                "ap-southeast-2": DatabaseProbe(
                    role: .standby, replayedLSN: LogSequenceNumber(100), flushedLSN: LogSequenceNumber(200)),
            ], excluded: [], requested: nil, oldPrimaryLSN: LogSequenceNumber(200), maxLag: 0, force: false)
        #expect(choice.region == "ap-southeast-2")
    }

    @Test func withoutPositionsTheLeastLaggingStandbyWinsAndUnknownLagComesLast() throws {
        // Aurora's API gives no LSNs, only CloudWatch lag.
        let aurora = { (lag: Double?) in
            DatabaseProbe(role: .standby, replayedLSN: nil, flushedLSN: nil, lagSeconds: lag) as DatabaseProbe?
        }
        let priority: [RegionName] = ["us-east-1", "eu-west-1", "ap-southeast-2"]
        let choice = try CandidateSelection.select(
            standbys: ["eu-west-1": aurora(0.9), "ap-southeast-2": aurora(0.2), "sa-east-1": aurora(nil)],
            excluded: [], requested: nil, oldPrimaryLSN: nil, maxLag: 0, force: false, priority: priority)
        #expect(choice.region == "ap-southeast-2")
        #expect(choice.lagBytes == nil)
        let unknown = try CandidateSelection.select(
            standbys: ["eu-west-1": aurora(nil), "ap-southeast-2": aurora(nil)], excluded: [], requested: nil,
            oldPrimaryLSN: nil, maxLag: 0, force: false, priority: priority)
        #expect(unknown.region == "eu-west-1")
        let requested = try CandidateSelection.select(
            standbys: ["eu-west-1": aurora(0.9), "ap-southeast-2": aurora(0.2)], excluded: [],
            requested: "eu-west-1", oldPrimaryLSN: nil, maxLag: 0, force: false)
        #expect(requested.region == "eu-west-1")
        #expect(throws: FailoverError.self) {
            try CandidateSelection.select(
                standbys: ["eu-west-1": aurora(0.9)], excluded: ["eu-west-1"], requested: "eu-west-1",
                oldPrimaryLSN: nil, maxLag: 0, force: false)
        }
        // A standby that reports a position outranks one that reports none.
        let mixed = try CandidateSelection.select(
            standbys: ["eu-west-1": aurora(0.0), "ap-southeast-2": standby(100)], excluded: [], requested: nil,
            oldPrimaryLSN: nil, maxLag: 0, force: false)
        #expect(mixed.region == "ap-southeast-2")
    }

    @Test func tiesGoToTheFirstRegionByPriority() throws {
        let choice = try CandidateSelection.select(
            standbys: ["eu-west-1": standby(100), "ap-southeast-2": standby(100)], excluded: [], requested: nil,
            oldPrimaryLSN: nil, maxLag: 0, force: false, priority: ["us-east-1", "eu-west-1", "ap-southeast-2"])
        #expect(choice.region == "eu-west-1")
    }

    @Test func refusesACandidateBeyondTheLagBound() {
        #expect(throws: FailoverError.self) {
            try CandidateSelection.select(
                standbys: ["eu-west-1": standby(100)], excluded: [], requested: nil,
                oldPrimaryLSN: LogSequenceNumber(5000), maxLag: 1000, force: false)
        }
    }

    @Test func forceAcceptsTheLag() throws {
        let choice = try CandidateSelection.select(
            standbys: ["eu-west-1": standby(100)], excluded: [], requested: nil,
            oldPrimaryLSN: LogSequenceNumber(5000), maxLag: 1000, force: true)
        #expect(choice.lagBytes == 4900)
    }

    @Test func refusesARequestedStandbyBehindAnother() {
        #expect(throws: FailoverError.self) {
            try CandidateSelection.select(
                standbys: ["eu-west-1": standby(100), "ap-southeast-2": standby(200)], excluded: [],
                requested: "eu-west-1", oldPrimaryLSN: nil, maxLag: 1 << 30, force: false)
        }
    }

    @Test func neverPicksAFormerPrimaryAwaitingRejoin() {
        #expect(throws: FailoverError.self) {
            try CandidateSelection.select(
                standbys: ["eu-west-1": standby(100)], excluded: ["eu-west-1"], requested: nil, oldPrimaryLSN: nil,
                maxLag: 1 << 30, force: false)
        }
    }

    @Test func unreachableStandbysDoNotQualify() {
        #expect(throws: FailoverError.self) {
            try CandidateSelection.select(
                standbys: ["eu-west-1": nil], excluded: [], requested: nil, oldPrimaryLSN: nil, maxLag: 1 << 30,
                force: false)
        }
    }
}

@Suite struct FailoverDecisionTests {
    func assessment(_ condition: RegionCondition) -> RegionAssessment {
        RegionAssessment(region: "us-east-1", condition: condition, votes: [:], quorum: 3, vantagePoints: 4)
    }
    let state = ControllerState(regions: ["us-east-1", "eu-west-1"], primary: "us-east-1", mode: .automatic)

    @Test func anUnreachablePrimaryIsFailedOver() {
        guard
            case .failover = FailoverDecision.decide(
                primary: assessment(.unreachable), state: state, now: Date(), cooldown: .seconds(60))
        else { Issue.record("expected a failover"); return }
    }

    @Test func aDeadDatabaseIsFailedOver() {
        guard
            case .failover = FailoverDecision.decide(
                primary: assessment(.databaseDown), state: state, now: Date(), cooldown: .seconds(60))
        else { Issue.record("expected a failover"); return }
    }

    @Test func aSlowPrimaryIsNotFailedOver() {
        #expect(
            FailoverDecision.decide(primary: assessment(.slow), state: state, now: Date(), cooldown: .seconds(60))
                == .none)
    }

    @Test func portalsDownAloneDoNotMoveTheDatabase() {
        #expect(
            FailoverDecision.decide(primary: assessment(.portalDown), state: state, now: Date(), cooldown: .seconds(60))
                == .none)
    }

    @Test func manualModeAsksAPerson() {
        var manual = state
        manual.mode = .manual
        guard
            case .needsOperator = FailoverDecision.decide(
                primary: assessment(.unreachable), state: manual, now: Date(), cooldown: .seconds(60))
        else { Issue.record("expected a request for an operator"); return }
    }

    @Test func theCooldownHoldsBackASecondFailover() {
        var recent = state
        let now = Date(timeIntervalSince1970: 1_000_000)
        recent.lastFailoverAt = now.addingTimeInterval(-30)
        guard
            case .needsOperator = FailoverDecision.decide(
                primary: assessment(.unreachable), state: recent, now: now, cooldown: .seconds(60))
        else { Issue.record("expected the cool-down to hold"); return }
        recent.lastFailoverAt = now.addingTimeInterval(-61)
        guard
            case .failover = FailoverDecision.decide(
                primary: assessment(.unreachable), state: recent, now: now, cooldown: .seconds(60))
        else { Issue.record("expected a failover after the cool-down"); return }
    }

    @Test func noSecondDecisionWhileAnOperationRuns() {
        var busy = state
        busy.operation = FailoverOperation(
            id: "x", kind: .failover, from: "us-east-1", to: nil, force: false, step: .fence, startedAt: Date(),
            trigger: "automatic")
        #expect(
            FailoverDecision.decide(primary: assessment(.unreachable), state: busy, now: Date(), cooldown: .seconds(60))
                == .none)
    }
}

@Suite struct LeaseDecisionTests {
    @Test func thePrimaryRegionIsGrantedTheLease() {
        let state = ControllerState(regions: ["us-east-1", "eu-west-1"], primary: "us-east-1", mode: .automatic)
        #expect(state.leaseDecision(for: "us-east-1").0 == .granted)
        #expect(state.leaseDecision(for: "eu-west-1").0 == .standby)
    }

    @Test func aRegionBeingFailedOverIsFenced() {
        var state = ControllerState(regions: ["us-east-1", "eu-west-1"], primary: "us-east-1", mode: .automatic)
        state.operation = FailoverOperation(
            id: "x", kind: .failover, from: "us-east-1", to: nil, force: false, step: .fence, startedAt: Date(),
            trigger: "automatic")
        #expect(state.leaseDecision(for: "us-east-1").0 == .fenced)
    }

    @Test func theNewPrimaryIsGrantedAsSoonAsItIsPromoted() {
        var state = ControllerState(
            regions: ["us-east-1", "eu-west-1", "ap-southeast-2"], primary: "us-east-1", mode: .automatic)
        state.operation = FailoverOperation(
            id: "x", kind: .switchover, from: "us-east-1", to: "eu-west-1", force: false, step: .select,
            startedAt: Date(), trigger: "manual")
        // Until the target is promoted no region writes (issue 14, window 3): a standby region's writer endpoint
        // still leads to the old primary.
        #expect(state.leaseDecision(for: "eu-west-1").0 == .fenced)
        #expect(state.leaseDecision(for: "ap-southeast-2").0 == .fenced)
        // The promote step makes eu-west-1 the primary; the former primary stays fenced until the end.
        state.primary = "eu-west-1"
        state.operation?.step = .traffic
        #expect(state.leaseDecision(for: "eu-west-1").0 == .granted)
        #expect(state.leaseDecision(for: "us-east-1").0 == .fenced)
        #expect(state.leaseDecision(for: "ap-southeast-2").0 == .standby)
    }

    @Test func thePrimaryKeepsItsLeaseWhileAFormerPrimaryRejoins() {
        var state = ControllerState(regions: ["us-east-1", "eu-west-1"], primary: "eu-west-1", mode: .automatic)
        state.awaitingRejoin = ["us-east-1"]
        state.operation = FailoverOperation(
            id: "x", kind: .rejoin, from: "us-east-1", to: nil, force: false, step: .fence, startedAt: Date(),
            trigger: "manual")
        #expect(state.leaseDecision(for: "eu-west-1").0 == .granted)
        #expect(state.leaseDecision(for: "us-east-1").0 == .fenced)
    }

    @Test func aFormerPrimaryAwaitingRejoinIsFenced() {
        var state = ControllerState(regions: ["us-east-1", "eu-west-1"], primary: "eu-west-1", mode: .automatic)
        state.awaitingRejoin = ["us-east-1"]
        #expect(state.leaseDecision(for: "us-east-1").0 == .fenced)
    }
}

@Suite struct TrafficPolicyTests {
    let state = ControllerState(regions: ["us-east-1", "eu-west-1"], primary: "us-east-1", mode: .automatic)

    @Test func aSlowRegionLosesItsTraffic() {
        let dials = TrafficPolicy.dials(
            state: state, conditions: ["us-east-1": .healthy, "eu-west-1": .slow], healthyRounds: [:],
            current: ["us-east-1": .full, "eu-west-1": .full], recoveryRounds: 10)
        #expect(dials["eu-west-1"] == .off)
    }

    @Test func aRecoveredRegionWaitsForTheRecoveryThreshold() {
        let early = TrafficPolicy.dials(
            state: state, conditions: ["us-east-1": .healthy, "eu-west-1": .healthy], healthyRounds: ["eu-west-1": 9],
            current: ["us-east-1": .full, "eu-west-1": .off], recoveryRounds: 10)
        #expect(early["eu-west-1"] == .off)
        let later = TrafficPolicy.dials(
            state: state, conditions: ["us-east-1": .healthy, "eu-west-1": .healthy], healthyRounds: ["eu-west-1": 10],
            current: ["us-east-1": .full, "eu-west-1": .off], recoveryRounds: 10)
        #expect(later["eu-west-1"] == .full)
    }

    @Test func aRegionAwaitingRejoinGetsNoTraffic() {
        var waiting = state
        waiting.primary = "eu-west-1"
        waiting.awaitingRejoin = ["us-east-1"]
        let dials = TrafficPolicy.dials(
            state: waiting, conditions: ["us-east-1": .healthy, "eu-west-1": .healthy],
            healthyRounds: ["us-east-1": 100], current: ["us-east-1": .off, "eu-west-1": .full], recoveryRounds: 10)
        #expect(dials["us-east-1"] == .off)
    }

    @Test func neverEveryRegionAtZero() {
        let dials = TrafficPolicy.dials(
            state: state, conditions: ["us-east-1": .slow, "eu-west-1": .unreachable], healthyRounds: [:],
            current: ["us-east-1": .full, "eu-west-1": .full], recoveryRounds: 10)
        #expect(dials["us-east-1"] == .full)
    }
}

@Suite struct AlarmBookTests {
    @Test func aChangeOfStateIsReported() {
        var book = AlarmBook()
        #expect(book.set("lease-lost", .ok, reason: "renewed") != nil)
        #expect(book.set("lease-lost", .ok, reason: "renewed again") == nil)
        #expect(book.set("lease-lost", .alarm, reason: "not renewed")?.state == .alarm)
    }
}

@Suite struct SettingsTests {
    @Test func aBadValueNamesItsKey() {
        var settings = ControllerSettings()
        #expect(throws: FailoverError.self) { try settings.apply(key: "lease-duration", value: "soon") }
        do { try settings.apply(key: "probe-interval", value: "fast") } catch {
            #expect(error.message.hasPrefix("probe-interval:"))
        }
    }

    @Test func policiesParse() {
        #expect(SyncStandbyPolicy(text: "degrade-after=30s") == .degradeAfter(.seconds(30)))
        #expect(SyncStandbyPolicy(text: "block") == .block)
        #expect(SyncStandbyPolicy(text: "later") == nil)
    }

    @Test func stateSurvivesARoundTrip() throws {
        var state = ControllerState(regions: ["us-east-1", "eu-west-1"], primary: "us-east-1", mode: .manual)
        state.operation = FailoverOperation(
            id: "x", kind: .failover, from: "us-east-1", to: "eu-west-1", force: false, step: .promote,
            startedAt: Date(timeIntervalSince1970: 1_700_000_000), trigger: "automatic")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "state-\(UInt32.random(in: 0...UInt32.max)).json"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try state.save(to: path)
        #expect(try ControllerState.load(from: path) == state)
    }
}
