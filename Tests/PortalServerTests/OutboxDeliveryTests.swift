import Accounts
import AccountsPostgres
import Foundation
import PortalServer
import PortalTestSupport
import Synchronization
import Testing

/// The outbox is delivered into a maildir and leaves the database as it goes, so a mailed token is not kept at
/// rest once its mail is out; what nothing delivers is purged after a day.
@Suite struct OutboxDeliveryTests {
    func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The files in the spool's `new/`, waiting up to 10 s for at least `count`.
    func delivered(_ spool: String, atLeast count: Int) async throws -> [String] {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: spool + "/new")) ?? []
            if names.count >= count || ContinuousClock.now > deadline { return names.sorted() }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func mailIsDeliveredIntoTheSpoolAndLeavesTheDatabase() async throws {
        let spool = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        try await withTestPortal(configure: { $0.mailSpool = spool }) { portal in
            let email = try await portal.signUp()
            let names = try await delivered(spool, atLeast: 1)
            try #require(names.count == 1)
            let path = spool + "/new/" + names[0]
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.contains("\r\nTo: \(email)\r\n") && text.contains("X-CustomerPortal-Template: verify-address"))
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/tmp").isEmpty)
            // The delete commits after the file is in place: wait for it.
            let deadline = ContinuousClock.now + .seconds(10)
            var left = try await portal.services.store.outbox(recipient: email, limit: 10)
            while !left.isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                left = try await portal.services.store.outbox(recipient: email, limit: 10)
            }
            #expect(left.isEmpty, "a delivered message (and its token) stayed in the database")
            // The mailed token is the one that works.
            let token = try #require(
                text.split(whereSeparator: \.isWhitespace).map(String.init).first { $0.count >= 40 })
            let verified = try await portal.request(.post, "/v1/email-verifications", json: ["token": token])
            #expect(verified.status == .ok, "\(verified.text)")
        }
    }

    @Test func portalsDeliveringAtOnceDeliverEachMessageOnce() async throws {
        // No spool for the portal itself: the test delivers, twice in parallel, with slow hand-overs.
        try await withTestPortal { portal in
            for _ in 0..<30 { try await portal.signUp() }
            let seen = DeliveredIDs()
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        var total = 0
                        while true {
                            let count = try await portal.services.store.deliverOutbox(limit: 5) { message in
                                usleep(2_000)
                                seen.append(message.id)
                            }
                            total += count
                            if count == 0 { return total }
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            let ids = seen.all
            #expect(counts.reduce(0, +) == 30 && ids.count == 30 && Set(ids).count == 30)
            #expect(try await portal.services.store.outbox(recipient: nil, limit: 100).isEmpty)
        }
    }

    @Test func aFailedHandOverKeepsTheMessage() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            struct Refused: Error {}
            await #expect(throws: (any Error).self) {
                try await portal.services.store.deliverOutbox { _ in throw Refused() }
            }
            #expect(try await portal.services.store.outbox(recipient: email, limit: 10).count == 1)
        }
    }

    @Test func undeliveredMailIsPurgedAfterADay() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let store = portal.services.store
            #expect(try await store.purgeOutbox(olderThan: .seconds(24 * 3600), now: Date()) == 0)
            #expect(try await store.outbox(recipient: email, limit: 10).count == 1)
            let tomorrow = Date().addingTimeInterval(24 * 3600 + 60)
            #expect(try await store.purgeOutbox(olderThan: .seconds(24 * 3600), now: tomorrow) == 1)
            #expect(try await store.outbox(recipient: email, limit: 10).isEmpty)
        }
    }

    @Test func headersHoldNoLineBreakAndABadSpoolIsNamed() throws {
        let spool = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let mail = try MailSpool(directory: spool, from: "Portal <no-reply@example.com>")
        let message = OutboxMessage(
            id: 7, createdAt: Date(timeIntervalSince1970: 1_800_000_000), recipient: "a@example.com",
            template: "verify-address", subject: "Hello\r\nBcc: everyone@example.com", body: "line one\nline two",
            token: nil)
        try mail.deliver(message)
        let text = try String(contentsOfFile: spool + "/new/" + mail.fileName(of: message), encoding: .utf8)
        #expect(!text.contains("\r\nBcc:") && text.contains("Subject: HelloBcc: everyone@example.com\r\n"))
        #expect(text.hasSuffix("line one\r\nline two\r\n"))
        // Delivering again replaces the file: one message, one file.
        try mail.deliver(message)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/new").count == 1)
        #expect(throws: ConfigurationError.self) { try MailSpool(directory: "/proc/no-spool-here", from: "x") }
    }
}

/// The ids handed over, from every delivering task.
final class DeliveredIDs: Sendable {
    private let ids = Mutex<[Int64]>([])
    var all: [Int64] { ids.withLock { $0 } }
    func append(_ id: Int64) { ids.withLock { $0.append(id) } }
}
