import Accounts
import AccountsPostgres
import Failover
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PortalServer
import PortalTestSupport
import PostgresNIO
import Synchronization
import Testing
import Yams

/// Router paths in OpenAPI form: a leading slash and `{name}` captures.
enum OpenAPIPaths {
    static func normalize(_ path: String) -> String {
        let parts = path.split(separator: "/").map { part in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}

@Suite struct OperationsTests {
    @Test func healthSaysRegionRoleAndDatabase() async throws {
        try await withTestPortal { portal in
            let live = try await portal.request(.get, "/health/live")
            #expect(live.status == .ok && live["region"] == "test-region-1")
            let ready = try await portal.request(.get, "/health/ready")
            #expect(ready.status == .ok)
            #expect(ready["status"] == "ready" && ready["role"] == "primary" && ready["region"] == "test-region-1")
            let database = ready.json["database"] as? [String: Any]
            #expect(database?["reachable"] as? Bool == true)
            #expect(database?["schemaVersion"] as? Int == Migrations.latestVersion)
        }
    }

    @Test func writesCarryAConsistencyTokenAndRegionHealthReportsReplication() async throws {
        try await withTestPortal { portal in
            let created = try await portal.request(
                .post, "/v1/accounts",
                json: ["email": "token@example.com", "password": TestPortal.password, "displayName": "T"])
            let token = try #require(created.headers[HTTPField.Name("X-Consistency-Token")!])
            #expect(LogSequenceNumber(token) != nil)
            let tokens = try await portal.logIn("token@example.com")
            let read = try await portal.request(
                .get, "/v1/me", token: tokens.access, headers: [HTTPField.Name("X-Consistency-Token")!: token])
            #expect(read.status == .ok)
            #expect(read.headers[HTTPField.Name("X-Consistency-Token")!] == nil)
            let bad = try await portal.request(
                .get, "/v1/me", token: tokens.access, headers: [HTTPField.Name("X-Consistency-Token")!: "12/zz"])
            #expect(bad.status == .badRequest && bad["type"] == "/problems/invalid-consistency-token")

            let region = try await portal.internalRequest(.get, "/health/region")
            #expect(region.status == .ok)
            #expect(region["role"] == "primary" && region["durability"] == "async" && region["replayLsn"] != nil)
            #expect((region.json["writer"] as? [String: Any])?["reachable"] as? Bool == true)
        }
    }

    @Test func anUnreachableDatabaseMeansNotReadyAnd503NotA500() async throws {
        try await withTestPortal(configure: { $0.databaseTimeout = .seconds(2) }) { portal in
            try await portal.signUp("early@example.com")
            let cluster = try await TestDatabase.shared.startedCluster()
            let database = try #require(
                portal.services.configuration.databaseURL.split(separator: "/").last?.split(separator: "?").first)
            // Cut this test's database off for new connections and drop the pool's ones.
            _ = try await cluster.psql("ALTER DATABASE \(database) WITH ALLOW_CONNECTIONS false")
            _ = try await cluster.psql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)'")
            let ready = try await portal.request(.get, "/health/ready")
            #expect(ready.status == .serviceUnavailable && ready["status"] == "not-ready")
            let signUp = try await portal.request(
                .post, "/v1/accounts",
                json: ["email": "late@example.com", "password": TestPortal.password, "displayName": "L"])
            #expect(signUp.status == .serviceUnavailable)
            #expect(signUp.headers[.retryAfter] != nil)
            _ = try await cluster.psql("ALTER DATABASE \(database) WITH ALLOW_CONNECTIONS true")
        }
    }

    @Test func metricsCountRequestsLoginsAndPools() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            _ = try await portal.logIn(email)
            _ = try await portal.request(.post, "/v1/sessions", json: ["email": email, "password": "wrong password!"])
            let metrics = try await portal.internalRequest(.get, "/metrics")
            #expect(metrics.status == .ok)
            #expect(
                metrics.text.contains(#"portal_http_requests_total{method="POST",route="/v1/accounts",status="201"} 1"#)
            )
            #expect(metrics.text.contains(#"portal_logins_total{outcome="success"} 1"#))
            #expect(metrics.text.contains(#"portal_logins_total{outcome="failure"} 1"#))
            #expect(metrics.text.contains("portal_http_request_duration_seconds_bucket"))
            #expect(metrics.text.contains(#"portal_db_pool_max_connections{pool="reader"}"#))
        }
    }

    @Test func jwksPublishesTheCurrentAndPreviousKeys() async throws {
        try await withTestPortal { portal in
            let reply = try await portal.request(.get, "/.well-known/jwks.json")
            let keys = try #require(reply.json["keys"] as? [[String: Any]])
            #expect(keys.compactMap { $0["kid"] as? String } == TestKeys.set.keys.map(\.kid))
            #expect(keys.allSatisfy { $0["d"] == nil && $0["alg"] as? String == "EdDSA" })
        }
    }

    @Test func migrationsMayRunConcurrently() async throws {
        let url = try await TestDatabase.shared.makeDatabase()
        let client = PostgresClient(configuration: try DatabaseURL(url).clientConfiguration())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await withThrowingTaskGroup(of: Void.self) { runners in
                for _ in 0..<4 {
                    runners.addTask { try await Migrations.apply(on: client, logger: Logger(label: "m")) }
                }
                try await runners.waitForAll()
            }
            #expect(
                try await Migrations.currentVersion(on: client, logger: Logger(label: "m")) == Migrations.latestVersion)
            group.cancelAll()
        }
    }

    @Test func noPasswordOrTokenReachesTheLogs() async throws {
        let lines = LogLines()
        var logger = Logger(label: "capture") { _ in LogCapture(lines: lines) }
        logger.logLevel = .trace
        try await withTestPortal(logger: logger) { portal in
            let email = try await portal.signUp(password: "secret passphrase 42")
            let tokens = try await portal.logIn(email, password: "secret passphrase 42")
            _ = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": tokens.refresh])
            _ = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": tokens.refresh])
            _ = try await portal.request(.post, "/v1/sessions", json: ["email": email, "password": "wrong secret 99"])
            _ = try await portal.request(.get, "/v1/me", token: tokens.access)
            let all = lines.text
            #expect(!all.isEmpty)
            for secret in ["secret passphrase 42", "wrong secret 99", tokens.refresh, tokens.access, "$2b$"] {
                #expect(!all.contains(secret), "a secret reached the log")
            }
        }
    }

    @Test func everyRouteIsInTheOpenAPIDocumentAndViceVersa() async throws {
        try await withTestPortal { portal in
            let served = try await portal.request(.get, "/openapi.yaml")
            #expect(served.status == .ok)
            let document = try #require(try Yams.load(yaml: served.text) as? [String: Any])
            #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
            let documented = Set(
                paths.flatMap { path, operations in
                    operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
                })
            func routes(_ router: Router<PortalRequestContext>) -> Set<String> {
                Set(router.routes.map { "\($0.method) " + OpenAPIPaths.normalize("\($0.path)") })
            }
            let publicRoutes = routes(buildRouter(services: portal.services, logger: Logger(label: "routes")))
            let internalRoutes = routes(buildInternalRouter(services: portal.services, logger: Logger(label: "routes")))
            let implemented = publicRoutes.union(internalRoutes)
            // What only the internal listener serves is documented with the internal listener as its server.
            let internalOnly = Set(
                paths.filter { _, item in item["servers"] != nil }.flatMap { path, operations in
                    operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
                })
            #expect(internalOnly == internalRoutes.subtracting(publicRoutes))
            #expect(implemented.subtracting(documented).isEmpty, "undocumented: \(implemented.subtracting(documented))")
            #expect(
                documented.subtracting(implemented).isEmpty, "not implemented: \(documented.subtracting(implemented))")
        }
    }
}

/// Formatted log lines, shared by every copy of the handler.
final class LogLines: Sendable {
    private let storage = Mutex<[String]>([])
    var text: String { storage.withLock { $0.joined(separator: "\n") } }
    func append(_ line: String) { storage.withLock { $0.append(line) } }
}

/// A log handler that writes into `LogLines`. A struct, as swift-log expects: each logger copy owns its
/// metadata, so loggers on different threads never share mutable state.
struct LogCapture: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.append("\(event.level) \(event.message) \(merged)")
    }
}
