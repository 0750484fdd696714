import Foundation
import HTTPTypes
import NIOCore
import PortalTestSupport
import Testing

@Suite struct SignUpTests {
    @Test func signUpCreatesAnAccountAndSendsAVerificationMail() async throws {
        try await withTestPortal { portal in
            let reply = try await portal.request(
                .post, "/v1/accounts",
                json: ["email": "  Ada@Example.com ", "password": TestPortal.password, "displayName": "Ada"])
            #expect(reply.status == .created)
            #expect(reply["email"] == "Ada@Example.com")
            #expect(reply["displayName"] == "Ada")
            #expect(reply.json["emailVerified"] as? Bool == false)
            #expect(UUID(uuidString: reply["id"] ?? "") != nil)
            #expect(reply["createdAt"] != nil)
            #expect(reply.json["password"] == nil && !reply.text.contains("$2b$"))

            let token = try await portal.mailedToken(to: "Ada@Example.com")
            let verified = try await portal.request(.post, "/v1/email-verifications", json: ["token": token])
            #expect(verified.status == .ok)
            #expect(verified.json["emailVerified"] as? Bool == true)
            let again = try await portal.request(.post, "/v1/email-verifications", json: ["token": token])
            #expect(again.status == .badRequest)
        }
    }

    @Test func duplicateAddressesAreRefusedWhateverTheCase() async throws {
        try await withTestPortal { portal in
            try await portal.signUp("dup@example.com")
            let reply = try await portal.request(
                .post, "/v1/accounts",
                json: ["email": " DUP@example.COM", "password": TestPortal.password, "displayName": "Again"])
            #expect(reply.status == .conflict)
            #expect(reply.headers[.contentType] == "application/problem+json")
            #expect(reply["type"] == "/problems/email-taken")
        }
    }

    @Test(arguments: [
        ("short", "password"), ("password12345", "password"), ("dupe@example.com", "password"),
        ("123456789012", "password"),
    ])
    func weakPasswordsAreRefusedWithAFieldError(password: String, field: String) async throws {
        try await withTestPortal { portal in
            let reply = try await portal.request(
                .post, "/v1/accounts", json: ["email": "dupe@example.com", "password": password, "displayName": "X"])
            #expect(reply.status == .unprocessableContent)
            let errors = reply.json["errors"] as? [[String: Any]]
            #expect(errors?.contains { $0["field"] as? String == field } == true)
        }
    }

    @Test func everyInvalidFieldIsNamedAtOnce() async throws {
        try await withTestPortal { portal in
            let reply = try await portal.request(
                .post, "/v1/accounts", json: ["email": "not-an-address", "password": "x", "displayName": "   "])
            #expect(reply.status == .unprocessableContent)
            let fields = Set((reply.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
            #expect(fields == ["email", "password", "displayName"])
        }
    }

    @Test func missingAndMistypedFieldsAreValidationProblems() async throws {
        try await withTestPortal { portal in
            let missing = try await portal.request(.post, "/v1/accounts", json: ["email": "a@example.com"])
            #expect(missing.status == .unprocessableContent)
            #expect(missing.text.contains("password"))
            let mistyped = try await portal.request(
                .post, "/v1/accounts", json: ["email": 42, "password": TestPortal.password, "displayName": "X"])
            #expect(mistyped.status == .unprocessableContent)
            #expect(mistyped.text.contains("email"))
        }
    }

    @Test func sqlMetaCharactersAndLongStringsAreStoredOrRefusedButNeverBreakAnything() async throws {
        try await withTestPortal { portal in
            let nasty = "Robert'); DROP TABLE accounts;-- \\ % _ \" ` $1 ${x}"
            let email = "o'brien+%_test@example.com"
            let reply = try await portal.request(
                .post, "/v1/accounts",
                json: ["email": email, "password": nasty + " long enough", "displayName": nasty])
            #expect(reply.status == .created)
            #expect(reply["displayName"] == nasty)
            let tokens = try await portal.logIn(email, password: nasty + " long enough")
            let me = try await portal.request(.get, "/v1/me", token: tokens.access)
            #expect(me["displayName"] == nasty && me["email"] == email)

            let long = String(repeating: "é", count: 10_000)
            for field in ["email", "password", "displayName"] {
                var body: [String: any Sendable] = [
                    "email": "long@example.com", "password": TestPortal.password, "displayName": "Long",
                ]
                body[field] = long
                let reply = try await portal.request(.post, "/v1/accounts", json: body)
                #expect(reply.status == .unprocessableContent, "\(field)")
            }
            let login = try await portal.request(.post, "/v1/sessions", json: ["email": long, "password": long])
            #expect(login.status == .unauthorized)
        }
    }

    @Test func malformedBodiesAreClientErrors() async throws {
        try await withTestPortal { portal in
            let json: HTTPFields = [.contentType: "application/json"]
            let cases: [(ByteBuffer, HTTPResponse.Status)] = [
                (ByteBuffer(string: "{\"email\": "), .badRequest),
                (ByteBuffer(string: "[1, 2, 3]"), .badRequest),
                (ByteBuffer(string: ""), .badRequest),
                (ByteBuffer(bytes: [0x7B, 0x22, 0x65, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D]), .badRequest),
                (ByteBuffer(bytes: [0xFF, 0xFE, 0x00]), .badRequest),
            ]
            for (body, status) in cases {
                let reply = try await portal.request(.post, "/v1/accounts", headers: json, rawBody: body)
                #expect(reply.status == status)
                #expect(reply.headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test func wrongContentTypeIs415AndOversizedBodyIs413() async throws {
        try await withTestPortal { portal in
            let text = try await portal.request(
                .post, "/v1/accounts", headers: [.contentType: "text/plain"], rawBody: ByteBuffer(string: "{}"))
            #expect(text.status == .unsupportedMediaType)
            let none = try await portal.request(.post, "/v1/sessions", rawBody: ByteBuffer(string: "{}"))
            #expect(none.status == .unsupportedMediaType)
            let big = ByteBuffer(string: "{\"email\":\"" + String(repeating: "a", count: 70_000) + "\"}")
            let reply = try await portal.request(
                .post, "/v1/accounts", headers: [.contentType: "application/json"], rawBody: big)
            #expect(reply.status == .contentTooLarge)
            #expect(reply.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func unknownRoutesAreProblemDocumentsAndRequestIDsAreEchoed() async throws {
        try await withTestPortal { portal in
            let reply = try await portal.request(
                .get, "/v1/nothing-here", headers: [HTTPField.Name("X-Request-Id")!: "abc-123"])
            #expect(reply.status == .notFound)
            #expect(reply.headers[.contentType] == "application/problem+json")
            #expect(reply["requestId"] == "abc-123")
            #expect(reply.headers[HTTPField.Name("X-Request-Id")!] == "abc-123")

            let generated = try await portal.request(
                .get, "/health/live", headers: [HTTPField.Name("X-Request-Id")!: "bad id with spaces\u{7F}"])
            let id = generated.headers[HTTPField.Name("X-Request-Id")!]
            #expect(id != nil && id != "bad id with spaces\u{7F}")
        }
    }
}
