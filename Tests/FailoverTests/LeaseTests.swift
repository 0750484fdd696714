import Failover
import Foundation
import Testing

/// A clock the test moves by hand.
struct TestInstant: InstantProtocol, Sendable {
    var offset: Duration
    func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }
    func duration(to other: TestInstant) -> Duration { other.offset - offset }
    static func < (lhs: TestInstant, rhs: TestInstant) -> Bool { lhs.offset < rhs.offset }
    static func at(_ milliseconds: Int64) -> TestInstant { TestInstant(offset: .milliseconds(milliseconds)) }
}

@Suite struct LeaseLedgerTests {
    @Test func aControllerThatStartsCountsItsStartAsAGrant() {
        let ledger = LeaseLedger(startedAt: TestInstant.at(0), duration: .seconds(3), clockMargin: .milliseconds(500))
        #expect(!ledger.surelyExpired(at: .at(3400)))
        #expect(ledger.surelyExpired(at: .at(3500)))
    }

    @Test func aRestartedControllerStartsFromTheRecordedGrant() {
        let wall = Date(timeIntervalSince1970: 1_800_000_000)
        let now = TestInstant.at(10_000)
        // Granted 1.2 s before the restart: surely over 2.3 s after it, not 3.5 s.
        let recent = LeaseGrantRecord(lastGrantAt: wall.addingTimeInterval(-1.2))
        let ledger = LeaseLedger(
            startedAt: LeaseGrantRecord.lastGrant(recent, wallNow: wall, now: now), duration: .seconds(3),
            clockMargin: .milliseconds(500))
        #expect(!ledger.surelyExpired(at: .at(12_299)))
        #expect(ledger.surelyExpired(at: .at(12_300)))
        // Long ago: over at once.
        let old = LeaseGrantRecord(lastGrantAt: wall.addingTimeInterval(-60))
        #expect(LeaseGrantRecord.lastGrant(old, wallNow: wall, now: now) == .at(-50_000))
    }

    @Test func withoutARecordOrWithTheWallClockBehindItTheStartCountsAsAGrant() {
        let wall = Date(timeIntervalSince1970: 1_800_000_000)
        let now = TestInstant.at(10_000)
        #expect(LeaseGrantRecord.lastGrant(nil, wallNow: wall, now: now) == now)
        let ahead = LeaseGrantRecord(lastGrantAt: wall.addingTimeInterval(5))
        #expect(LeaseGrantRecord.lastGrant(ahead, wallNow: wall, now: now) == now)
    }

    @Test func theRecordSurvivesAWriteAndARead() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lease-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(LeaseGrantRecord.load(from: path) == nil)
        let record = LeaseGrantRecord(lastGrantAt: Date(timeIntervalSince1970: 1_800_000_000.123))
        try record.save(to: path)
        #expect(LeaseGrantRecord.load(from: path) == record)
        try Data("not json".utf8).write(to: URL(fileURLWithPath: path))
        #expect(LeaseGrantRecord.load(from: path) == nil)
    }

    @Test func aGrantPushesTheSureExpiry() {
        var ledger = LeaseLedger(startedAt: TestInstant.at(0), duration: .seconds(3), clockMargin: .milliseconds(500))
        ledger.grant(to: "us-east-1", at: .at(2000))
        #expect(!ledger.surelyExpired(at: .at(5499)))
        #expect(ledger.surelyExpired(at: .at(5500)))
        #expect(ledger.holder == "us-east-1")
    }

    @Test func heldUntilTheDurationWithoutTheMargin() {
        var ledger = LeaseLedger(startedAt: TestInstant.at(0), duration: .seconds(3), clockMargin: .milliseconds(500))
        ledger.grant(to: "us-east-1", at: .at(1000))
        #expect(ledger.held(at: .at(3999)))
        #expect(!ledger.held(at: .at(4000)))
    }
}

@Suite struct WriteLeaseHolderTests {
    func answer(_ decision: LeaseAnswer.Decision) -> LeaseAnswer {
        LeaseAnswer(decision: decision, region: "us-east-1", primary: "us-east-1", epoch: 1, durationMilliseconds: 3000)
    }

    @Test func noAnswerYetMeansNoWrites() {
        let holder = WriteLeaseHolder<TestInstant>()
        #expect(holder.state(at: .at(0)) == .unknown)
        #expect(!holder.mayWrite(at: .at(0)))
    }

    @Test func aGrantedLeaseRunsFromWhenTheRequestWasSent() {
        var holder = WriteLeaseHolder<TestInstant>()
        holder.record(answer(.granted), requestSentAt: .at(1000))
        #expect(holder.mayWrite(at: .at(3999)))
        #expect(holder.remaining(at: .at(3000)) == .milliseconds(1000))
    }

    @Test func anExpiredLeaseFencesTheHolder() {
        var holder = WriteLeaseHolder<TestInstant>()
        holder.record(answer(.granted), requestSentAt: .at(1000))
        #expect(holder.state(at: .at(4000)) == .fenced)
        #expect(!holder.mayWrite(at: .at(4000)))
    }

    @Test func aFrozenHolderWakesUpFenced() {
        // Granted at 0, frozen for ten seconds: the first check after the thaw finds the lease gone.
        var holder = WriteLeaseHolder<TestInstant>()
        holder.record(answer(.granted), requestSentAt: .at(0))
        #expect(!holder.mayWrite(at: .at(10_000)))
    }

    @Test func aStandbyRegionWritesThroughTheWriterEndpoint() {
        var holder = WriteLeaseHolder<TestInstant>()
        holder.record(answer(.standby), requestSentAt: .at(0))
        #expect(holder.mayWrite(at: .at(60_000)))
    }

    @Test func aFencedAnswerRefusesWrites() {
        var holder = WriteLeaseHolder<TestInstant>()
        holder.record(answer(.granted), requestSentAt: .at(0))
        holder.record(answer(.fenced), requestSentAt: .at(500))
        #expect(!holder.mayWrite(at: .at(600)))
    }
}
