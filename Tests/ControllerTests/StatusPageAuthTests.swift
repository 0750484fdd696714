import Failover
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import Controller

/// Who may see the status page and act through it: the token signs a browser in (a cookie derived from it), the
/// cookie reads, and a control action with the cookie alone needs the page's header and page actions allowed.
@Suite struct StatusPageAuthTests {
    static let token = "status-page-test-token-0123456789"

    func replica(actions: Bool) throws -> ControllerReplica {
        var logger = Logger(label: "status-page-test")
        logger.logLevel = .critical
        var configuration = ControllerConfiguration(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("ui-\(UUID().uuidString)").path,
            port: 0, region: "eu-west-1", regions: ["us-east-1", "eu-west-1"], initialPrimary: "us-east-1",
            settings: ControllerSettings(), peers: [:], etcdEndpoints: ["http://127.0.0.1:9"])
        configuration.token = Self.token
        configuration.statusPage = StatusPageSettings(actions: actions)
        let world = ControllerFailoverTests.World()
        return try ControllerReplica(
            configuration: configuration, prober: world, traffic: world, replication: world, actions: world,
            logger: logger)
    }

    static var cookie: String { "drctl_ui=" + StatusPageRoutes.session(for: token) }

    @Test func withoutTheTokenThePageIsALoginFormAndNothingElseAnswers() async throws {
        let app = Application(router: ControllerServer.router(try replica(actions: true)))
        try await app.test(.router) { client in
            let page = try await client.execute(uri: "/ui", method: .get)
            #expect(page.status == .unauthorized)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(String(buffer: page.body).contains("<form method=\"post\" action=\"/ui/login\">"))
            #expect(!String(buffer: page.body).contains("EventSource"), "the page itself without the token")
            for uri in ["/ui?token=wrong", "/ui?token="] {
                #expect(try await client.execute(uri: uri, method: .get).status == .unauthorized, "\(uri)")
            }
            let wrong = try await client.execute(
                uri: "/ui/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "token=wrong"))
            #expect(wrong.status == .unauthorized)
            // A forged or stale cookie is no session.
            for cookie in ["drctl_ui=\(Self.token)", "drctl_ui=", "drctl_ui=" + String(repeating: "0", count: 64)] {
                let stream = try await client.execute(uri: "/ui/stream", method: .get, headers: [.cookie: cookie])
                #expect(stream.status == .unauthorized, "\(cookie)")
                #expect(
                    try await client.execute(uri: "/ui", method: .get, headers: [.cookie: cookie]).status
                        == .unauthorized)
            }
        }
    }

    @Test func theTokenSignsInAndTheCookieReadsButDoesNotActAlone() async throws {
        let app = Application(router: ControllerServer.router(try replica(actions: false)))
        try await app.test(.router) { client in
            let signIn = try await client.execute(uri: "/ui?token=\(Self.token)", method: .get)
            #expect(signIn.status == .seeOther)
            #expect(signIn.headers[.location] == "/ui", "the token leaves the address bar")
            let setCookie = try #require(signIn.headers[.setCookie])
            #expect(setCookie.hasPrefix(Self.cookie + ";"))
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
            #expect(!setCookie.contains(Self.token), "the cookie holds a value derived from the token")
            let form = try await client.execute(
                uri: "/ui/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "token=\(Self.token)"))
            #expect(form.status == .seeOther && form.headers[.setCookie] == setCookie)

            let page = try await client.execute(uri: "/ui", method: .get, headers: [.cookie: "a=b; " + Self.cookie])
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"))
            let nonce = try #require(policy.split(separator: "'").first { $0.hasPrefix("nonce-") }?.dropFirst(6))
            #expect(html.contains("<script nonce=\"\(nonce)\">") && html.contains("<style nonce=\"\(nonce)\">"))
            for load in ["src=", "href=\"http", "url(", "@import", "fetch(\"http"] {
                #expect(!html.contains(load), "nothing loaded from elsewhere: \(load)")
            }

            // The cookie reads (this replica does not run, so no replica leads: 503, past the credential check).
            let status = try await client.execute(uri: "/v1/status", method: .get, headers: [.cookie: Self.cookie])
            #expect(status.status == .serviceUnavailable)
            let body = ByteBuffer(string: #"{"mode":"manual"}"#)
            let noHeader = try await client.execute(
                uri: "/v1/mode", method: .post, headers: [.cookie: Self.cookie, .contentType: "application/json"],
                body: body)
            #expect(noHeader.status == .forbidden)
            #expect(String(buffer: noHeader.body).contains("X-DRCTL-UI"))
            let actionsOff = try await client.execute(
                uri: "/v1/mode", method: .post,
                headers: [.cookie: Self.cookie, .contentType: "application/json", StatusPageRoutes.pageHeader: "1"],
                body: body)
            #expect(actionsOff.status == .forbidden)
            #expect(String(buffer: actionsOff.body).contains("page-actions-off"))
            // The bearer token still acts (the replica does not lead: 503 past the check).
            let bearer = try await client.execute(
                uri: "/v1/mode", method: .post,
                headers: [.authorization: "Bearer \(Self.token)", .contentType: "application/json"], body: body)
            #expect(bearer.status == .serviceUnavailable)
        }
    }

    @Test func withPageActionsTheCookieAndThePageHeaderAct() async throws {
        let app = Application(router: ControllerServer.router(try replica(actions: true)))
        try await app.test(.router) { client in
            let acted = try await client.execute(
                uri: "/v1/mode", method: .post,
                headers: [.cookie: Self.cookie, .contentType: "application/json", StatusPageRoutes.pageHeader: "1"],
                body: ByteBuffer(string: #"{"mode":"manual"}"#))
            // Past every check: the replica does not lead.
            #expect(acted.status == .serviceUnavailable)
            #expect(String(buffer: acted.body).contains("no-leader"))
        }
    }

    @Test func theEdgeCountersBecomeRequestsAndErrorsPerRegion() {
        let text = """
            # TYPE edge_requests_total counter
            edge_requests_total{region="us-east-1",status="201"} 40
            edge_requests_total{region="us-east-1",status="503"} 2
            edge_requests_total{status="500",region="eu-west-1"} 1
            edge_requests_total{region="none",status="502"} 3
            edge_request_duration_seconds_count{region="us-east-1"} 42
            edge_requests_total{region="us-east-1",status="x"} 9
            """
        let counts = StatusFeed.edgeRequestCounts(fromPrometheusText: text)
        #expect(counts["us-east-1"] == .init(requests: 42, errors: 2))
        #expect(counts["eu-west-1"] == .init(requests: 1, errors: 1))
        #expect(counts["none"] == .init(requests: 3, errors: 3))
        #expect(counts.count == 3)
    }
}
