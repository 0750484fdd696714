import Testing

@testable import Drills

/// Parsing objectives, with one-line errors that name the bad part, and judging against them.
@Suite struct ObjectivesTests {
    @Test func parsesTheUsualObjectives() throws {
        let objectives = try Objectives(parsing: "rto=5s,rpo=0")
        #expect(objectives.rtoWrite == .seconds(5) && objectives.rtoRead == .seconds(5))
        #expect(objectives.rpoWrites == 0 && objectives.rpoWindow == nil)
        #expect(objectives.description == "rto=5s,rpo=0")
        #expect(!objectives.allowsLoss)
    }

    @Test func parsesSeparateTimesAndAnRPOWindow() throws {
        let objectives = try Objectives(parsing: " rto-write=5s, rto-read=500ms ,detection=2s,rpo=1.5s")
        #expect(objectives.rtoWrite == .seconds(5) && objectives.rtoRead == .milliseconds(500))
        #expect(objectives.detection == .seconds(2) && objectives.rpoWindow == .milliseconds(1500))
        #expect(try Objectives(parsing: objectives.description) == objectives)
        #expect(objectives.allowsLoss)
    }

    @Test(arguments: [
        ("rto=fast", "objectives: rto='fast' is not a duration (such as 5s or 500ms)"),
        ("rto=5s,rpo=lots", "objectives: rpo='lots' is neither a count of lost writes (0) nor a duration (2s)"),
        ("rto=5s,mttr=1m", "objectives: unknown key 'mttr' (known: rto, rto-write, rto-read, detection, rpo)"),
        ("rto", "objectives: 'rto' is not key=value (as in rto=5s,rpo=0)"),
        ("rto=5s,,rpo=0", "objectives: '' is not key=value (as in rto=5s,rpo=0)"),
        ("rpo=-1", "objectives: rpo='-1' is neither a count of lost writes (0) nor a duration (2s)"),
    ])
    func badObjectivesAreRefusedInOneLineNamingTheValue(text: String, message: String) {
        #expect {
            try Objectives(parsing: text)
        } throws: { error in
            guard let error = error as? DrillError else { return false }
            return error.code == .invalidArgument && error.message == message && !error.message.contains("\n")
        }
    }

    @Test func judgesRecoveryAndLossAgainstTheObjectives() throws {
        let measures = DrillMeasures(history: MeasuresTests.faultedHistory(), context: MeasuresTests.context)
        var check = CheckResult()
        let strict = try Objectives(parsing: "rto=2s,rpo=0").judge(measures, check)
        #expect(strict.first { $0.name == "rto-write" }?.passed == false)  // 2.6 s
        #expect(strict.first { $0.name == "rto-read" }?.passed == true)  // 1.3 s
        #expect(strict.first { $0.name == "rpo" }?.passed == true)

        check.lostWrites = [Finding(.lostWrite, operation: 3, detail: "planted")]
        check.readYourWritesFailures = [Finding(.readYourWrites, detail: "planted")]
        let lossAllowed = try Objectives(parsing: "rto=5s,rpo=1").judge(measures, check)
        #expect(lossAllowed.allSatisfy { $0.passed })
        let noLoss = try Objectives(parsing: "rto=5s,rpo=0").judge(measures, check)
        #expect(noLoss.filter { !$0.passed }.map(\.name) == ["rpo", "read-your-writes"])
    }

    @Test func recoveryThatNeverCameFailsTheObjective() throws {
        var builder = HistoryBuilder()
        builder.record(.updateProfile, "a@example.com", .failed, at: 2)
        let measures = DrillMeasures(
            history: builder.history,
            context: DrillContext(scenario: "x", durability: "sync", fault: DrillEvent(time: 1, name: "crash")))
        let judgements = try Objectives(parsing: "rto=5s").judge(measures, CheckResult())
        #expect(judgements.first { $0.name == "rto-write" }?.measured == "never")
        #expect(judgements.first { $0.name == "rto-write" }?.passed == false)
    }
}
