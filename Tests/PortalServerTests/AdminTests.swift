import Foundation
import HTTPTypes
import PortalTestSupport
import Testing

@Suite struct AdminTests {
    @Test func customersCannotUseTheAdminAPI() async throws {
        try await withTestPortal { portal in
            let tokens = try await portal.logIn(try await portal.signUp())
            for path in ["/v1/admin/accounts", "/v1/admin/audit"] {
                #expect(try await portal.request(.get, path, token: tokens.access).status == .forbidden)
            }
            #expect(try await portal.request(.get, "/v1/admin/accounts").status == .unauthorized)
        }
    }

    @Test func accountsAreListedPageByPageAndSearchedLiterally() async throws {
        try await withTestPortal { portal in
            let admin = try await portal.adminToken()
            for index in 0..<5 { try await portal.signUp("page-\(index)@example.com") }
            try await portal.signUp("percent_%@example.com")
            var seen: [String] = []
            var cursor: String? = nil
            repeat {
                let path = "/v1/admin/accounts?query=page-&limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let reply = try await portal.request(.get, path, token: admin)
                #expect(reply.status == .ok)
                seen += (reply.json["accounts"] as? [[String: Any]] ?? []).compactMap { $0["email"] as? String }
                cursor = reply["nextCursor"]
            } while cursor != nil
            #expect(Set(seen) == Set((0..<5).map { "page-\($0)@example.com" }))
            #expect(seen.count == 5)

            let literal = try await portal.request(.get, "/v1/admin/accounts?query=%25", token: admin)
            #expect((literal.json["accounts"] as? [[String: Any]])?.count == 1)
            #expect(
                try await portal.request(.get, "/v1/admin/accounts?cursor=nope", token: admin).status == .badRequest)
            #expect(
                try await portal.request(.get, "/v1/admin/accounts?limit=0", token: admin).status
                    == .unprocessableContent)
            #expect(
                try await portal.request(.get, "/v1/admin/accounts?limit=abc", token: admin).status
                    == .unprocessableContent)
        }
    }

    @Test func aDisabledAccountCannotLogInAndItsTokensStopWorking() async throws {
        try await withTestPortal { portal in
            let admin = try await portal.adminToken()
            let email = try await portal.signUp()
            let tokens = try await portal.logIn(email)
            let me = try await portal.request(.get, "/v1/me", token: tokens.access)
            let id = try #require(me["id"])

            let disabled = try await portal.request(.post, "/v1/admin/accounts/\(id)/disable", token: admin)
            #expect(disabled.status == .ok && disabled.json["disabled"] as? Bool == true)
            #expect(try await portal.request(.get, "/v1/me", token: tokens.access).status == .unauthorized)
            let refresh = try await portal.request(
                .post, "/v1/sessions/refresh", json: ["refreshToken": tokens.refresh])
            #expect(refresh.status == .unauthorized)
            let login = try await portal.request(
                .post, "/v1/sessions", json: ["email": email, "password": TestPortal.password])
            #expect(login.status == .forbidden)

            #expect(try await portal.request(.post, "/v1/admin/accounts/\(id)/enable", token: admin).status == .ok)
            _ = try await portal.logIn(email)
            #expect(
                try await portal.request(.post, "/v1/admin/accounts/\(UUID())/disable", token: admin).status
                    == .notFound)
            #expect(
                try await portal.request(.post, "/v1/admin/accounts/not-a-uuid/disable", token: admin).status
                    == .notFound)
        }
    }

    @Test func theAuditLogRecordsSecurityEventsWithTheirOrigin() async throws {
        try await withTestPortal { portal in
            let admin = try await portal.adminToken()
            let email = try await portal.signUp()
            _ = try await portal.request(.post, "/v1/sessions", json: ["email": email, "password": "wrong password!"])
            let tokens = try await portal.logIn(email)
            let id = try #require(try await portal.request(.get, "/v1/me", token: tokens.access)["id"])
            _ = try await portal.request(
                .delete, "/v1/sessions/current", token: tokens.access,
                headers: [.userAgent: "audit-test-agent", HTTPField.Name("X-Request-Id")!: "req-audit-1"])

            let reply = try await portal.request(.get, "/v1/admin/audit?account=\(id)", token: admin)
            let events = try #require(reply.json["events"] as? [[String: Any]])
            let kinds = events.compactMap { $0["kind"] as? String }
            #expect(kinds == ["logout", "login-succeeded", "login-failed", "sign-up"])
            let logout = events[0]
            #expect(logout["requestId"] as? String == "req-audit-1")
            #expect(logout["userAgent"] as? String == "audit-test-agent")
            #expect(logout["region"] as? String == "test-region-1")
            #expect(logout["clientAddress"] as? String == "127.0.0.1")

            let page = try await portal.request(.get, "/v1/admin/audit?account=\(id)&limit=2", token: admin)
            let next = try #require(page["nextCursor"])
            let rest = try await portal.request(.get, "/v1/admin/audit?account=\(id)&cursor=\(next)", token: admin)
            #expect(
                (rest.json["events"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } == [
                    "login-failed", "sign-up",
                ])
            #expect(
                try await portal.request(.get, "/v1/admin/audit?account=nope", token: admin).status
                    == .unprocessableContent)
        }
    }
}
