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

@Suite struct ReplicaLeaseGrantTests {
    let state = ControllerState(regions: ["us-east-1", "eu-west-1"], primary: "us-east-1", mode: .automatic)

    @Test func aGrantEndsWithinTheDurationOfTheReadItCameFromAndBeforeTheSessionHorizon() {
        // State read sent at 1 s, session surely runs until 2.5 s (keep-alive sent at 1 s, TTL 2 s, margin 0.5 s).
        let horizon = ReplicaLeaseGrant.horizon(
            keepAliveSentAt: TestInstant.at(1000), ttl: .seconds(2), clockMargin: .milliseconds(500))
        #expect(horizon == .at(2500))
        let grant = ReplicaLeaseGrant(stateReadSentAt: .at(1000), sessionHorizon: horizon)
        #expect(grant.grantable(at: .at(1200), duration: .seconds(3)) == .milliseconds(1300))
        // A short lease duration binds first: read + 1 s.
        #expect(grant.grantable(at: .at(1200), duration: .seconds(1)) == .milliseconds(800))
        #expect(grant.grantable(at: .at(2500), duration: .seconds(3)) == .zero)
        let answer = grant.answer(for: "us-east-1", state: state, now: .at(1200), duration: .seconds(3))
        #expect(answer.decision == .granted && answer.durationMilliseconds == 1300)
    }

    @Test func noSessionOrAnOldReadGrantsNothing() {
        let noSession = ReplicaLeaseGrant(stateReadSentAt: TestInstant.at(0), sessionHorizon: nil)
        #expect(
            noSession.answer(for: "us-east-1", state: state, now: .at(10), duration: .seconds(3)).decision == .fenced)
        let stale = ReplicaLeaseGrant(stateReadSentAt: TestInstant.at(0), sessionHorizon: .at(60_000))
        #expect(stale.grantable(at: .at(3000), duration: .seconds(3)) == .zero)
        #expect(stale.answer(for: "us-east-1", state: state, now: .at(3000), duration: .seconds(3)).decision == .fenced)
    }

    @Test func standbysAndFencedRegionsAreAnsweredFromTheStateWhateverTheSession() {
        let grant = ReplicaLeaseGrant(stateReadSentAt: TestInstant.at(0), sessionHorizon: nil)
        let standby = grant.answer(for: "eu-west-1", state: state, now: .at(1000), duration: .seconds(3))
        #expect(standby.decision == .standby && standby.durationMilliseconds == 2000)
        var failingOver = state
        failingOver.operation = FailoverOperation(
            id: "x", kind: .failover, from: "us-east-1", to: nil, force: false, step: .fence, startedAt: Date(),
            trigger: "automatic")
        let live = ReplicaLeaseGrant(stateReadSentAt: TestInstant.at(0), sessionHorizon: .at(2000))
        let answer = live.answer(for: "us-east-1", state: failingOver, now: .at(10), duration: .seconds(3))
        #expect(answer.decision == .fenced && answer.durationMilliseconds == 0)
    }

    @Test func aStandbyAnswerFromAStateReadOlderThanALeaseIsFenced() {
        // Issue 14, window 2: a replica that has not read the state for a lease's duration (cut off from etcd, or
        // frozen) may be answering from before a failover; a standby region must not keep writing on its word.
        let stale = ReplicaLeaseGrant(stateReadSentAt: TestInstant.at(0), sessionHorizon: .at(60_000))
        let answer = stale.answer(for: "eu-west-1", state: state, now: .at(3000), duration: .seconds(3))
        #expect(answer.decision == .fenced && answer.durationMilliseconds == 0)
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

    @Test func aStandbyRegionWritesThroughTheWriterEndpointUntilItsAnswerEnds() {
        // Issue 14, window 2: the standby answer used to stand forever, with or without a controller.
        var holder = WriteLeaseHolder<TestInstant>()
        holder.record(answer(.standby), requestSentAt: .at(0))
        #expect(holder.state(at: .at(2999)) == .standby && holder.mayWrite(at: .at(2999)))
        #expect(holder.state(at: .at(3000)) == .fenced && !holder.mayWrite(at: .at(60_000)))
        holder.record(answer(.standby), requestSentAt: .at(59_000))
        #expect(holder.mayWrite(at: .at(60_000)))
    }

    @Test func aFencedAnswerRefusesWrites() {
        var holder = WriteLeaseHolder<TestInstant>()
        holder.record(answer(.granted), requestSentAt: .at(0))
        holder.record(answer(.fenced), requestSentAt: .at(500))
        #expect(!holder.mayWrite(at: .at(600)))
    }
}

@Suite struct LeaseSignatureTests {
    let key = LeaseSignature.newPrivateKey()
    var publicKey: String { LeaseSignature.publicKey(ofPrivate: key)! }
    let answer = LeaseAnswer(
        decision: .granted, region: "us-east-1", primary: "us-east-1", epoch: 3, durationMilliseconds: 1500)

    @Test func anAnswerVerifiesOnlyForItsRegionNonceAndKeyAndUntouched() throws {
        let signed = try LeaseSignature.sign(
            answer, nonce: "n1", with: #require(LeaseSignature.privateKey(base64: key)))
        let verifying = try #require(LeaseSignature.publicKey(base64: publicKey))
        #expect(LeaseSignature.verify(signed, region: "us-east-1", nonce: "n1", key: verifying))
        #expect(!LeaseSignature.verify(signed, region: "us-east-1", nonce: "n2", key: verifying))
        #expect(!LeaseSignature.verify(signed, region: "eu-west-1", nonce: "n1", key: verifying))
        var longer = signed
        longer.durationMilliseconds = 60_000
        #expect(!LeaseSignature.verify(longer, region: "us-east-1", nonce: "n1", key: verifying))
        var promoted = signed
        promoted.epoch = 4
        #expect(!LeaseSignature.verify(promoted, region: "us-east-1", nonce: "n1", key: verifying))
        let other = try #require(
            LeaseSignature.publicKey(base64: LeaseSignature.publicKey(ofPrivate: LeaseSignature.newPrivateKey())!))
        #expect(!LeaseSignature.verify(signed, region: "us-east-1", nonce: "n1", key: other))
        #expect(!LeaseSignature.verify(answer, region: "us-east-1", nonce: "n1", key: verifying), "unsigned")
    }

    @Test func noncesAreFreshAndKeysRoundTrip() {
        #expect(LeaseSignature.nonce() != LeaseSignature.nonce())
        #expect(LeaseSignature.privateKey(base64: "not a key") == nil)
        #expect(LeaseSignature.publicKey(ofPrivate: key) != nil)
    }
}
