import Controller
import Failover
import Foundation
import Lab
import LocalPostgres
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The controller against a real lab (issue 5): real PostgreSQL, portals, WAN emulator, edge, agents and
/// controller processes, real faults. Every assertion is about behaviour; time limits only catch hangs.
@Suite(.serialized) struct ControllerLabTests {
    static let logger: Logger = {
        var logger = Logger(label: "controller-test")
        logger.logLevel = .warning
        return logger
    }()

    struct Lab {
        let deployment: LabDeployment
        var state: LabState { get throws { try deployment.state() } }
        var controller: ControllerClient {
            get throws { ControllerClient(baseURLs: try state.controllerURLs, token: try state.controlToken) }
        }
        var faults: LabFaultInjector { LabFaultInjector(deployment: deployment, logger: ControllerLabTests.logger) }

        var edge: String { get throws { try state.edge!.url } }

        func portal(_ region: RegionName) throws -> String { try state.region(region).portals[0].url }

        /// Signs up `email` through `base` (the edge, or a portal directly); the HTTP status, 0 for no answer.
        func signUp(_ email: String, at base: String, timeout: TimeInterval = 10) async -> Int {
            let reply = try? await HTTP.send(
                "POST", base + "/v1/accounts",
                json: ["email": email, "password": "correct horse battery staple 9", "displayName": "Drill"],
                timeout: timeout)
            return reply?.status ?? 0
        }

        /// The e-mails among `emails` that the database on `port` holds.
        func accounts(_ emails: [String], onPort port: Int) async throws -> Set<String> {
            guard !emails.isEmpty else { return [] }
            let list = emails.map { "'\($0)'" }.joined(separator: ",")
            let output = try await PostgresTools.psql(
                "SELECT email FROM accounts WHERE email IN (\(list))", port: port, database: "portal")
            return Set(output.split(separator: "\n").map(String.init))
        }

        func events() async throws -> [TimelineEvent] { try await controller.events() }

        /// Waits until an event of `kind` appears (after `sequence`), or fails after `limit`.
        @discardableResult
        func waitForEvent(
            _ kind: TimelineEvent.Kind, after sequence: Int = 0, limit: Duration = .seconds(90),
            matching: (TimelineEvent) -> Bool = { _ in true }
        ) async throws -> TimelineEvent {
            let deadline = ContinuousClock.now + limit
            while ContinuousClock.now < deadline {
                if let event = try? await events().first(where: {
                    $0.sequence > sequence && $0.kind == kind && matching($0)
                }) {
                    return event
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw TestFailure("no \(kind) event within \(limit)")
        }

        func lastSequence() async throws -> Int { try await events().last?.sequence ?? 0 }
    }

    func withControllerLab<T>(
        _ configure: (inout LabConfiguration) -> Void = { _ in }, _ body: (Lab) async throws -> T
    ) async throws -> T {
        try await withLab({ configuration in
            configuration.regions = ["us-east-1", "eu-west-1", "ap-southeast-2"]
            configure(&configuration)
        }) { deployment, _ in
            try await body(Lab(deployment: deployment))
        }
    }

    // 1
    @Test func aCrashedPrimaryRegionFailsOverWithoutLosingAcknowledgedWrites() async throws {
        try await withControllerLab { lab in
            // No control action, status or lease for a caller without the control plane's token.
            for replica in try lab.state.controllerURLs {
                for (method, path, body) in [
                    ("POST", "/v1/failover", ["to": "eu-west-1"]), ("POST", "/v1/mode", ["mode": "manual"]),
                    ("POST", "/v1/lease", ["region": "us-east-1"]), ("GET", "/v1/status", nil),
                    ("GET", "/v1/events", nil),
                ] as [(String, String, [String: Any]?)] {
                    for token in [nil, "not-the-token"] as [String?] {
                        let reply = try await HTTP.send(method, replica + path, json: body, token: token)
                        #expect(reply.status == 401, "\(method) \(path) with token \(token ?? "none")")
                        let type = reply.headers.first { $0.key.lowercased() == "content-type" }?.value
                        #expect(type?.hasPrefix("application/problem+json") == true)
                    }
                }
            }
            #expect(try await lab.controller.status().mode == .automatic)
            var acknowledged: [String] = []
            for index in 0..<20 {
                let email = "before-crash-\(index)@example.com"
                if await lab.signUp(email, at: try lab.edge) == 201 { acknowledged.append(email) }
            }
            #expect(acknowledged.count == 20)
            try await lab.faults.inject(.crash, into: "us-east-1")
            try await eventually("a write through the edge") {
                await lab.signUp("after-crash-\(UUID().uuidString.prefix(8))@example.com", at: try lab.edge) == 201
            }
            let status = try await lab.controller.status()
            #expect(status.primary != "us-east-1")
            let awaiting = status.regions.filter(\.awaitingRejoin).map(\.name)
            #expect(awaiting == ["us-east-1"])
            let newPrimary = try lab.state.region(status.primary).postgres.port
            let present = try await lab.accounts(acknowledged, onPort: newPrimary)
            #expect(present == Set(acknowledged), "acknowledged writes lost: \(Set(acknowledged).subtracting(present))")
            let events = try await lab.events()
            let promotions = events.filter { $0.kind == .promoted }.count
            #expect(promotions == 1)
            let finishedSteps = Set(events.filter { $0.kind == .stepFinished }.compactMap(\.step))
            #expect(finishedSteps.isSuperset(of: ["fence", "select", "promote", "repoint", "writer", "traffic"]))
        }
    }

    // 2
    @Test func aPartitionedPrimaryFencesItselfAndItsDatabaseTakesNoLaterWrite() async throws {
        try await withControllerLab { lab in
            let oldPortal = try lab.portal("us-east-1")
            let oldDatabase = try lab.state.region("us-east-1").postgres.port
            #expect(await lab.signUp("before-partition@example.com", at: oldPortal) == 201)
            try await lab.faults.inject(.partition, into: "us-east-1")
            let fenced = try await lab.waitForEvent(.stepFinished) { $0.step == "fence" }
            try await lab.waitForEvent(.failoverFinished)
            // The isolated portal still runs and answers, straight on loopback: it must refuse.
            var attempts: [String] = []
            for index in 0..<5 {
                let email = "to-isolated-\(index)@example.com"
                attempts.append(email)
                let status = await lab.signUp(email, at: oldPortal)
                #expect(status == 503, "the isolated old primary's portal answered \(status)")
            }
            let health = try await HTTP.send(
                "GET", try lab.state.region("us-east-1").portals[0].internalURL + "/health/lease")
            #expect(health["writes"] == "fenced")
            // Nothing reached the old primary's database after its lease ended.
            let landed = try await lab.accounts(attempts, onPort: oldDatabase)
            #expect(landed.isEmpty, "the fenced primary's database took \(landed)")
            let later = try await PostgresTools.psql(
                "SELECT count(*) FROM accounts WHERE created_at > '\(ISO8601DateFormatter().string(from: fenced.time))'",
                port: oldDatabase, database: "portal")
            #expect(later == "0")
            try await lab.faults.heal("us-east-1")
            // Back in reach, the old primary's database is made read-only.
            try await eventually("the old primary fenced at the database") {
                try await PostgresTools.psql("SHOW default_transaction_read_only", port: oldDatabase) == "on"
            }
        }
    }

    // 3
    @Test func aFrozenPrimaryThawsFenced() async throws {
        try await withControllerLab { lab in
            let oldPortal = try lab.portal("us-east-1")
            let oldDatabase = try lab.state.region("us-east-1").postgres.port
            #expect(await lab.signUp("before-freeze@example.com", at: oldPortal) == 201)
            try await lab.faults.inject(.freeze, into: "us-east-1")
            try await lab.waitForEvent(.failoverFinished)
            try await lab.faults.heal("us-east-1")
            let thawed = Date()
            var attempts: [String] = []
            for index in 0..<10 {
                let email = "after-thaw-\(index)@example.com"
                attempts.append(email)
                let status = await lab.signUp(email, at: oldPortal)
                #expect(status != 201, "a thawed portal of the old primary accepted a write")
                try await Task.sleep(for: .milliseconds(100))
            }
            let landed = try await lab.accounts(attempts, onPort: oldDatabase)
            #expect(landed.isEmpty)
            let later = try await PostgresTools.psql(
                "SELECT count(*) FROM accounts WHERE created_at > '\(ISO8601DateFormatter().string(from: thawed))'",
                port: oldDatabase, database: "portal")
            #expect(later == "0")
        }
    }

    // 4
    @Test func oneVantagePointCutOffDoesNotFailOver() async throws {
        try await withControllerLab { lab in
            let admin = WANAdminClient(port: try lab.state.wan.adminPort)
            let start = try await lab.lastSequence()
            _ = try await admin.setLink("eu-west-1", "us-east-1", LinkConditionsUpdate(partitioned: true))
            // The cut vantage point's vote for the primary's region is lost (it sees the region unreachable, or its
            // reports cannot reach a leader in that region)…
            try await eventually("eu-west-1's vote for us-east-1 gone") {
                try await lab.controller.status().regions.first { $0.name == "us-east-1" }?.votes["eu-west-1"]
                    != .healthy
            }
            // …and for a while longer than detection takes, nothing fails over.
            try await Task.sleep(for: .seconds(5))
            _ = try await admin.setLink("eu-west-1", "us-east-1", LinkConditionsUpdate(partitioned: false))
            let kinds = Set(try await lab.events().filter { $0.sequence > start }.map(\.kind))
            #expect(!kinds.contains(.failoverStarted) && !kinds.contains(.regionDown))
            #expect(try await lab.controller.status().primary == "us-east-1")
        }
    }

    // 5
    @Test func switchoverThereAndBackLosesNothing() async throws {
        try await withControllerLab { lab in
            var acknowledged: [String] = []
            // A client that retries what the service asks it to retry (503 with Retry-After); a 409 on a retry
            // means an earlier attempt went through.
            func write(_ label: String, count: Int) async throws {
                for index in 0..<count {
                    let email = "\(label)-\(index)@example.com"
                    for attempt in 0..<20 {
                        let status = await lab.signUp(email, at: try lab.edge)
                        if status == 201 || (status == 409 && attempt > 0) {
                            acknowledged.append(email)
                            break
                        }
                        try await Task.sleep(for: .milliseconds(250))
                    }
                }
            }
            try await write("first", count: 10)
            let there = try await lab.controller.switchover(to: "eu-west-1")
            try await lab.controller.waitForOperation(there.id) { _ in }
            #expect(try await lab.controller.status().primary == "eu-west-1")
            try await write("second", count: 10)
            let back = try await lab.controller.switchover(to: "us-east-1")
            try await lab.controller.waitForOperation(back.id) { _ in }
            try await write("third", count: 10)
            let status = try await lab.controller.status()
            #expect(status.primary == "us-east-1")
            let awaiting = status.regions.filter(\.awaitingRejoin).map(\.name)
            #expect(awaiting.isEmpty)
            #expect(acknowledged.count == 30)
            let present = try await lab.accounts(acknowledged, onPort: try lab.state.region("us-east-1").postgres.port)
            #expect(present == Set(acknowledged))
            // Both former primaries stream again.
            try await eventually("every standby streaming") {
                let streaming = try await PostgresTools.psql(
                    "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
                    port: try lab.state.region("us-east-1").postgres.port)
                return streaming == "2"
            }
        }
    }

    // 6
    /// Also the epoch binding in a real lab (issue 14): the first term binds the primary's database to epoch 1, the
    /// promotion binds the new one to epoch 2 before any lease of it, the rows written after it carry epoch 2, and
    /// the former primary, rejoined, has the new epoch row by replication.
    @Test func aCrashedPrimaryRejoinsAsAStandbyAndGetsTrafficBack() async throws {
        try await withControllerLab { lab in
            func epochRow(_ region: RegionName) async throws -> String {
                try await PostgresTools.psql(
                    "SELECT epoch || ' ' || fenced FROM dr_epoch", port: try lab.state.region(region).postgres.port,
                    database: "portal")
            }
            try await eventually("us-east-1's database bound to epoch 1") {
                (try? await epochRow("us-east-1")) == "1 false"
            }
            try await lab.faults.inject(.crash, into: "us-east-1")
            try await lab.waitForEvent(.failoverFinished)
            let primary = try await lab.controller.status().primary
            #expect(try await epochRow(primary) == "2 false")
            let email = "epoch-\(UUID().uuidString.prefix(6))@example.com"
            try await eventually("a sign-up in \(primary) after the failover") {
                await lab.signUp(email, at: try lab.portal(primary)) == 201
            }
            let primaryPort = try lab.state.region(primary).postgres.port
            #expect(
                try await PostgresTools.psql(
                    "SELECT written_epoch FROM accounts WHERE email = '\(email)'", port: primaryPort,
                    database: "portal") == "2")
            try await lab.faults.heal("us-east-1")
            let operation = try await lab.controller.rejoin("us-east-1")
            try await lab.controller.waitForOperation(operation.id) { _ in }
            try await eventually("the epoch row replayed on the rejoined us-east-1") {
                (try? await epochRow("us-east-1")) == "2 false"
            }
            let streaming = try await PostgresTools.psql(
                "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'us-east-1' AND state = 'streaming'",
                port: primaryPort)
            #expect(streaming == "1")
            let role = try await PostgresTools.psql(
                "SELECT pg_is_in_recovery()", port: try lab.state.region("us-east-1").postgres.port)
            #expect(role == "t")
            try await eventually("us-east-1 taking traffic again") {
                try await lab.controller.status().regions.first { $0.name == "us-east-1" }?.dial == 100
            }
        }
    }

    // 7
    @Test func aLeaderKilledMidFailoverIsReplacedAndTheFailoverFinishesWithOnePromotion() async throws {
        try await withControllerLab({ $0.controllerSettings.leaseDuration = .seconds(8) }) { lab in
            try await lab.faults.inject(.freeze, into: "us-east-1")
            try await lab.waitForEvent(.stepStarted) { $0.step == "fence" }
            let leader = try await lab.controller.status().leader
            #expect(leader != "us-east-1", "a frozen replica cannot lead")
            let record = try #require(try lab.state.region(leader).controller?.process)
            kill(record.pid, SIGKILL)
            #expect(await hasExited(record.pid))
            try await lab.waitForEvent(.failoverFinished)
            let events = try await lab.events()
            let terms = Set(events.filter { $0.kind == .controllerStarted }.compactMap { $0.details?["term"] })
            let promotions = events.filter { $0.kind == .promoted }.count
            #expect(terms.count >= 2, "another replica took over: terms \(terms.sorted())")
            #expect(promotions == 1)
            let status = try await lab.controller.status()
            #expect(status.leader != leader)
            let newPrimary = try lab.state.region(status.primary).postgres.port
            let histories = try await PostgresTools.psql(
                "SELECT count(*) FROM pg_ls_waldir() WHERE name LIKE '%.history'", port: newPrimary)
            #expect(histories == "1", "the new primary went through \(histories) promotions")
            // The killed replica comes back and takes part again, with the real primary from etcd (it may even lead
            // again: once 60 s have passed since the failover, a leader in the new primary's region hands over).
            var state = try lab.state
            try await lab.deployment.startReplica(leader, control: BuiltProducts.drctl, state: &state)
            try await eventually("the restarted replica in the status") {
                try await lab.controller.status().controllers.contains { $0.region == leader }
            }
            #expect(try await lab.controller.status().primary == status.primary)
            try await lab.faults.heal("us-east-1")
        }
    }

    // 8
    @Test func aSlowRegionLosesTrafficButKeepsItsDatabase() async throws {
        // Gray-failure sensitivity back to the default; the probe timeout stays long, so the slowed region is
        // slow, not unreachable.
        try await withControllerLab({ $0.controllerSettings.slowThreshold = .milliseconds(250) }) { lab in
            let start = try await lab.lastSequence()
            try await lab.faults.inject(.slow(milliseconds: 150), into: "us-east-1")
            try await lab.waitForEvent(.trafficDial, after: start) {
                $0.region == "us-east-1" && $0.message.hasSuffix("0%")
            }
            try await Task.sleep(for: .seconds(3))
            let kinds = Set(try await lab.events().filter { $0.sequence > start }.map(\.kind))
            #expect(!kinds.contains(.failoverStarted))
            #expect(try await lab.controller.status().primary == "us-east-1")
            // Writes still work through the other regions.
            try await eventually("a write through the edge") {
                await lab.signUp("while-slow-\(UUID().uuidString.prefix(8))@example.com", at: try lab.edge) == 201
            }
            try await lab.faults.heal("us-east-1")
        }
    }
}
