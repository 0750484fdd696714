import Foundation
import HTTPTypes
import NIOCore
import PortalTestSupport
import Testing

/// Requests an attacker would send: each once crashed a process or could. Every one must get a 4xx
/// problem document, and the portal must still answer afterwards.
@Suite struct HostileRequestTests {
    @Test func contentTypesWithoutAMediaTypeAre415AndThePortalLivesOn() async throws {
        try await withTestPortal { portal in
            // `Content-Type: ;` used to index an empty split and kill the process.
            for contentType in [";", " ; ", ";;", "; charset=utf-8", "", " "] {
                let reply = try await portal.request(
                    .post, "/v1/sessions", headers: [.contentType: contentType], rawBody: ByteBuffer(string: "{}"))
                #expect(reply.status == .unsupportedMediaType, "\(contentType)")
                #expect(reply.headers[.contentType] == "application/problem+json")
            }
            #expect(try await portal.request(.get, "/health/live").status == .ok)
        }
    }

    @Test func nulBytesInTextFieldsAreNeverServerErrors() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let token = try await portal.logIn(email).access
            // PostgreSQL refuses NUL in text: such a value must never reach it.
            let cases: [(HTTPRequest.Method, String, [String: any Sendable], String?)] = [
                (.post, "/v1/sessions", ["email": "a\u{0}@example.com", "password": "x"], nil),
                (.post, "/v1/sessions", ["email": email, "password": "wrong\u{0}password"], nil),
                (.post, "/v1/password-resets", ["email": "a\u{0}b@example.com"], nil),
                (.post, "/v1/accounts", ["email": "n\u{0}@example.com", "password": "pw", "displayName": "x"], nil),
                (.patch, "/v1/me", ["displayName": "bad\u{0}name"], token),
            ]
            for (method, path, json, token) in cases {
                let reply = try await portal.request(method, path, json: json, token: token)
                // 4xx, or the reset request's 202 that never says whether the address has an account.
                #expect((200..<500).contains(reply.status.code), "\(path): \(reply.status) \(reply.text)")
                #expect(reply.status != .ok && reply.status != .created, "\(path): \(reply.status)")
            }
            let search = try await portal.request(
                .get, "/v1/admin/accounts?query=%00", token: try await portal.adminToken())
            #expect((400..<500).contains(search.status.code) || search.status == .ok, "\(search.text)")
            #expect(try await portal.request(.get, "/health/live").status == .ok)
        }
    }
}
