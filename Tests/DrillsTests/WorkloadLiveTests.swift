import Foundation
import PortalTestSupport
import Testing

@testable import Drills

/// The real workload against a real portal (its own PostgreSQL on a free port), then the verifier and the
/// checker: a healthy system leaves no finding. Assertions are on correctness only; the limits are generous
/// "did not hang" bounds for a loaded machine.
@Suite struct WorkloadLiveTests {
    @Test(.timeLimit(.minutes(10)))
    func healthyPortalLeavesNoFindings() async throws {
        try await withTestPortal { portal in
            var configuration = WorkloadConfiguration(baseURL: portal.baseURL)
            configuration.rate = 12
            configuration.duration = .seconds(4)
            configuration.customers = 8
            configuration.requestTimeout = .seconds(60)
            configuration.seed = 11
            // More of the rare writes than usual, so that a short run has each kind the verifier checks.
            configuration.mix = OperationMix([
                .readProfile: 20, .updateProfile: 20, .refresh: 12, .logIn: 5, .signUp: 6, .logOut: 10,
                .changePassword: 20, .deleteAccount: 3,
            ])
            let workload = try Workload(configuration: configuration)
            let history = try await workload.run()

            let sent = history.operations.filter(\.wasSent)
            #expect(sent.count >= 20)
            let unexpected = sent.filter { $0.outcome != .ok }
            #expect(unexpected.isEmpty, "\(unexpected)")
            // Open loop: every tick of rate × duration is either sent or recorded as shed, after the warm-up's
            // sign-up and login of each customer.
            #expect(history.operations.count == 2 * configuration.warmUpCustomers + configuration.plannedRequests)
            let kinds = Set(sent.map(\.kind))
            #expect(kinds.isSuperset(of: [.signUp, .logIn, .readProfile, .updateProfile]), "\(kinds)")
            #expect(await workload.progress().inFlight == 0)
            #expect(try DrillHistory(jsonLines: try history.jsonLines()) == history)

            var verifierConfiguration = Verifier.Configuration(baseURL: portal.baseURL)
            verifierConfiguration.requestTimeout = .seconds(60)
            let observations = try await Verifier(configuration: verifierConfiguration).verify(history)
            let result = Checker.check(history: history, observations: observations)
            #expect(result.findings.isEmpty, "\(result.findings)")
            #expect(result.inconclusive.isEmpty, "\(result.inconclusive)")
            let accounts = Set(sent.filter { $0.kind == .signUp }.map(\.email))
            #expect(result.accountsChecked == accounts.count)
            // Every probe the history calls for was made and answered as a healthy system answers.
            var probes = 0
            for expected in history.customerExpectations() where expected.mayExist {
                let observed = try #require(observations.accounts[expected.email])
                if case .none = expected.deletion {
                    #expect(observed.workingPassword == expected.password?.value)
                    #expect(observed.replacedPasswordProbes.count == expected.replacedPasswords.count)
                    #expect(observed.replacedPasswordProbes.values.allSatisfy { $0 == .rejected })
                } else {
                    #expect(observed.exists == false)
                }
                for revoked in expected.revokedSessions { #expect(observed.refreshProbes[revoked.value] == .rejected) }
                for live in expected.liveSessions { #expect(observed.refreshProbes[live.value] == .accepted) }
                probes += observed.replacedPasswordProbes.count + observed.refreshProbes.count
            }
            #expect(probes > 0)

            let report = DrillReport(
                history: history, check: result,
                context: DrillContext(scenario: "baseline", durability: "sync"),
                objectives: try Objectives(parsing: "rto=5s,rpo=0"))
            #expect(report.passed, "\(report.summary)")
            // For a person to look at: DRILL_TEST_REPORT_DIR=/tmp/x swift test --filter healthyPortal
            if let directory = ProcessInfo.processInfo.environment["DRILL_TEST_REPORT_DIR"] {
                try report.write(to: directory, history: history)
                let observed = try JSONEncoder().encode(observations)
                try observed.write(to: URL(fileURLWithPath: directory + "/observations.json"))
            }
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func stopEndsTheOpenLoopEarly() async throws {
        try await withTestPortal { portal in
            var configuration = WorkloadConfiguration(baseURL: portal.baseURL)
            configuration.rate = 5
            configuration.duration = .seconds(600)
            configuration.customers = 2
            configuration.requestTimeout = .seconds(60)
            let workload = try Workload(configuration: configuration)
            async let history = workload.run()
            let openLoop = await workload.openLoopStarted()
            #expect(openLoop != nil)
            let success = await workload.firstSuccess(sentAfter: openLoop ?? 0, write: false)
            #expect(success?.kind == .readProfile)
            workload.stop()
            let finished = try await history
            #expect(finished.operations.count >= 4)
            #expect(finished.span < 300)  // stopped long before the 600 s duration
        }
    }

    @Test func warmUpAgainstNothingFailsWithOneLine() async throws {
        var configuration = WorkloadConfiguration(baseURL: "http://127.0.0.1:9")
        configuration.customers = 1
        configuration.requestTimeout = .seconds(10)
        let workload = try Workload(configuration: configuration)
        await #expect {
            _ = try await workload.run()
        } throws: { error in
            guard let error = error as? DrillError else { return false }
            return error.message.hasPrefix("http://127.0.0.1:9 accepted no sign-up during the warm-up")
        }
    }

    @Test func badSettingsAreRefusedByName() {
        var configuration = WorkloadConfiguration(baseURL: "http://127.0.0.1:1/")
        #expect(
            throws: DrillError(
                .invalidArgument, "baseURL: must be an http(s) URL without a trailing slash, not 'http://127.0.0.1:1/'")
        ) {
            try configuration.validate()
        }
        configuration.baseURL = "http://127.0.0.1:1"
        configuration.rate = 0
        #expect(throws: DrillError.self) { try configuration.validate() }
    }
}
