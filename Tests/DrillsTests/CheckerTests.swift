import Testing

@testable import Drills

/// The checker on planted histories: it passes a clean one and catches each kind of anomaly.
@Suite struct CheckerTests {
    static let ada = "ada@example.com"
    static let bob = "bob@example.com"
    static let cy = "cy@example.com"
    static let dee = "dee@example.com"

    /// Four customers: Ada does everything and is acknowledged throughout; Bob's last update and password
    /// change have unknown outcomes; Cy's sign-up has an unknown outcome; Dee deletes her account.
    static var history: HistoryBuilder {
        var builder = HistoryBuilder()
        builder.signUp(ada, password: "a-1", name: "Ada")
        builder.logIn(ada, password: "a-1", token: "RA1")
        builder.update(ada, session: "RA1", name: "Ada 2")
        builder.read(ada, session: "RA1", saw: "Ada 2")
        builder.changePassword(ada, session: "RA1", from: "a-1", to: "a-2")
        builder.refresh(ada, from: "RA1", to: "RA2")
        builder.logOut(ada, session: "RA2")
        builder.logIn(ada, password: "a-2", token: "RA3")

        builder.signUp(bob, password: "b-1", name: "Bob")
        builder.logIn(bob, password: "b-1", token: "RB1")
        builder.update(bob, session: "RB1", name: "Bob 2", .indeterminate)
        builder.changePassword(bob, session: "RB1", from: "b-1", to: "b-2", .indeterminate)

        builder.signUp(cy, password: "c-1", name: "Cy", .indeterminate)

        builder.signUp(dee, password: "d-1", name: "Dee")
        builder.logIn(dee, password: "d-1", token: "RD1")
        builder.delete(dee, session: "RD1", password: "d-1")
        return builder
    }

    /// What the verifier sees when every acknowledged write survived and nothing came back.
    static var cleanObservations: Observations {
        Observations(accounts: [
            ada: AccountObservation(
                email: ada, exists: true, workingPassword: "a-2", accountID: "id-\(ada)", displayName: "Ada 2",
                replacedPasswordProbes: ["a-1": .rejected], refreshProbes: ["RA2": .rejected, "RA3": .accepted]),
            bob: AccountObservation(
                email: bob, exists: true, workingPassword: "b-1", refusedPasswords: ["b-2"], accountID: "id-\(bob)",
                displayName: "Bob", refreshProbes: ["RB1": .accepted]),
            cy: AccountObservation(email: cy, exists: false, refusedPasswords: ["c-1"]),
            dee: AccountObservation(email: dee, exists: false),
        ])
    }

    @Test func cleanHistoryPasses() {
        let result = Checker.check(history: Self.history.history, observations: Self.cleanObservations)
        #expect(result.isClean, "\(result.findings)")
        #expect(result.inconclusive.isEmpty, "\(result.inconclusive)")
        #expect(result.accountsChecked == 4)
        #expect(result.acknowledgedWrites == 12)
        #expect(result.indeterminateWrites == 3)
        #expect(result.lostWriteWindow == nil)
    }

    @Test func plantedLostWriteAndResurrectedSessionAreBothCaught() {
        var observations = Self.cleanObservations
        observations.accounts[Self.ada]?.displayName = "Ada"  // the acknowledged update to "Ada 2" is gone
        observations.accounts[Self.ada]?.refreshProbes["RA2"] = .accepted  // the logged-out session works again
        let history = Self.history.history
        let result = Checker.check(history: history, observations: observations)

        #expect(result.lostWrites.count == 1)
        let update = history.operations.first { $0.kind == .updateProfile && $0.email == Self.ada }!
        #expect(result.lostWrites.first?.operation == update.id)
        #expect(result.lostWriteWindow == TimeWindow(start: update.sent, end: update.answered!))
        #expect(result.resurrections.count == 1)
        let logOut = history.operations.first { $0.kind == .logOut }!
        #expect(result.resurrections.first?.operation == logOut.id)
        #expect(!result.isClean)
    }

    @Test func indeterminateWritesAreNotCountedAsLost() {
        // Bob's update and password change, and Cy's sign-up, all took effect after all.
        var observations = Self.cleanObservations
        observations.accounts[Self.bob] = AccountObservation(
            email: Self.bob, exists: true, workingPassword: "b-2", accountID: "id-\(Self.bob)", displayName: "Bob 2",
            refreshProbes: ["RB1": .accepted])
        observations.accounts[Self.cy] = AccountObservation(
            email: Self.cy, exists: true, workingPassword: "c-1", displayName: "Cy")
        let result = Checker.check(history: Self.history.history, observations: observations)
        #expect(result.isClean, "\(result.findings)")
    }

    @Test func replacedPasswordThatWorksAgainIsAResurrection() {
        var observations = Self.cleanObservations
        observations.accounts[Self.ada]?.replacedPasswordProbes["a-1"] = .accepted
        let result = Checker.check(history: Self.history.history, observations: observations)
        #expect(result.resurrections.map(\.detail) == ["the password replaced by #4 works again"])
    }

    @Test func deletedAccountThatIsBackIsAResurrection() {
        var observations = Self.cleanObservations
        observations.accounts[Self.dee]?.exists = true
        let result = Checker.check(history: Self.history.history, observations: observations)
        #expect(result.resurrections.count == 1)
        #expect(result.resurrections.first?.email == Self.dee)
    }

    @Test func lostPasswordChangeAndLostSignUpAreLostWrites() {
        var observations = Self.cleanObservations
        observations.accounts[Self.ada] = AccountObservation(
            email: Self.ada, exists: true, refusedPasswords: ["a-2"],
            refreshProbes: ["RA2": .rejected, "RA3": .accepted])
        observations.accounts[Self.bob] = AccountObservation(
            email: Self.bob, exists: false, refusedPasswords: ["b-2", "b-1"], refreshProbes: ["RB1": .accepted])
        let result = Checker.check(history: Self.history.history, observations: observations)
        #expect(
            Set(result.lostWrites.map(\.detail)) == [
                "the password set by #4 is refused", "the account signed up by #8 is missing",
            ])
    }

    @Test func refusedLiveSessionIsALostWrite() {
        var observations = Self.cleanObservations
        observations.accounts[Self.ada]?.refreshProbes["RA3"] = .rejected
        let result = Checker.check(history: Self.history.history, observations: observations)
        #expect(result.lostWrites.map(\.operation) == [7])
    }

    @Test func twoAcknowledgedSignUpsOfOneAddressAreADuplicate() {
        var builder = Self.history
        builder.signUp(Self.ada, password: "a-9", name: "Ada again")
        let result = Checker.check(history: builder.history, observations: Self.cleanObservations)
        #expect(result.duplicates.count == 1)
    }

    @Test func anotherAccountBehindTheAddressIsADuplicate() {
        var observations = Self.cleanObservations
        observations.accounts[Self.ada]?.accountID = "someone-else"
        observations.accounts[Self.bob]?.accountsWithAddress = 2
        let result = Checker.check(history: Self.history.history, observations: observations)
        #expect(result.duplicates.count == 2)
    }

    @Test func staleReadAfterAnAcknowledgedUpdateIsAReadYourWritesFailure() {
        var builder = Self.history
        builder.update(Self.ada, session: "RA3", name: "Ada 3")
        builder.read(Self.ada, session: "RA3", saw: "Ada 2")
        var observations = Self.cleanObservations
        observations.accounts[Self.ada]?.displayName = "Ada 3"
        let result = Checker.check(history: builder.history, observations: observations)
        #expect(result.readYourWritesFailures.count == 1)
        #expect(result.lostWrites.isEmpty)
    }

    @Test func readOfAnIndeterminateUpdateIsNoFailure() {
        var builder = Self.history
        builder.read(Self.bob, session: "RB1", saw: "Bob 2")
        builder.read(Self.bob, session: "RB1", saw: "Bob")
        let result = Checker.check(history: builder.history, observations: Self.cleanObservations)
        #expect(result.readYourWritesFailures.isEmpty)
    }

    @Test func sessionRefusedDuringTheRunIsAReadYourWritesFailure() {
        var builder = Self.history
        builder.record(.readProfile, Self.ada, .failed, status: 401, error: "unauthenticated") {
            $0.refreshToken = "RA3"
        }
        let result = Checker.check(history: builder.history, observations: Self.cleanObservations)
        #expect(result.readYourWritesFailures.count == 1)
    }

    @Test func fencedWritesFromOutsideAreFindings() {
        var observations = Self.cleanObservations
        observations.fencedPrimaryWrites = [FencedWrite(region: "us-east-1", time: 12.5, detail: "audit event 812")]
        let result = Checker.check(history: Self.history.history, observations: observations)
        #expect(result.fencedWrites.map(\.detail) == ["us-east-1: audit event 812"])
        #expect(!result.isClean)
    }

    @Test func probesWithoutAnswersAreInconclusiveNotFindings() {
        var observations = Self.cleanObservations
        observations.accounts[Self.ada] = AccountObservation(
            email: Self.ada, refreshProbes: ["RA2": .inconclusive, "RA3": .inconclusive],
            notes: ["POST /v1/sessions: timeout"])
        observations.accounts[Self.dee] = nil
        let result = Checker.check(history: Self.history.history, observations: observations)
        #expect(result.isClean)
        #expect(result.inconclusive.count == 3)
    }

    @Test(
        arguments: [
            (200, nil, true, Outcome.ok), (201, nil, true, .ok), (401, "invalid-credentials", true, .failed),
            (503, "writes-unavailable", true, .failed), (503, "overloaded", true, .failed),
            (502, "upstream-unreachable", true, .failed),
            (503, "storage-unavailable", true, .indeterminate), (504, "upstream-timeout", true, .indeterminate),
            (502, "upstream-failed", true, .indeterminate), (500, "internal-error", true, .indeterminate),
            (504, "upstream-timeout", false, .failed),
        ] as [(Int, String?, Bool, Outcome)])
    func answersAreClassifiedConservatively(status: Int, problem: String?, write: Bool, outcome: Outcome) {
        #expect(Outcome.classify(status: status, problem: problem, isWrite: write) == outcome)
    }
}
