import Accounts
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PortalServer

/// A portal on its own fresh database, driven over real HTTP (Hummingbird's live test framework).
public struct TestPortal: Sendable {
    public let services: PortalServices
    let client: any TestClientProtocol

    /// The live server's address (`http://127.0.0.1:PORT`), for clients other than the test client.
    public var baseURL: String { "http://127.0.0.1:\(client.port ?? 0)" }

    /// A response, with its body parsed as JSON when it is JSON.
    public struct Reply: Sendable {
        public var status: HTTPResponse.Status
        public var headers: HTTPFields
        public var body: ByteBuffer
        public var text: String { String(buffer: body) }
        public var json: [String: any Sendable] {
            ((try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: any Sendable]) ?? [:]
        }
        public subscript(key: String) -> String? { json[key] as? String }
    }

    /// Sends a request; `json` is serialized as the body with `Content-Type: application/json`.
    @discardableResult
    public func request(
        _ method: HTTPRequest.Method, _ path: String, json: [String: any Sendable]? = nil, token: String? = nil,
        headers: HTTPFields = [:], rawBody: ByteBuffer? = nil
    ) async throws -> Reply {
        var headers = headers
        var body = rawBody
        if let json {
            body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        }
        if let token { headers[.authorization] = "Bearer \(token)" }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: body)
        return Reply(status: response.status, headers: response.headers, body: response.body)
    }

    /// Sends a request to the internal listener (`/metrics`, `/health/region`, `/health/lease`, the admin API with
    /// `adminOnInternal`), once it listens.
    @discardableResult
    public func internalRequest(
        _ method: HTTPRequest.Method, _ path: String, token: String? = nil, body: ByteBuffer? = nil
    ) async throws -> Reply {
        let deadline = ContinuousClock.now + .seconds(10)
        while services.internalPort.value == nil {
            guard ContinuousClock.now < deadline else { throw TestFailure("the internal listener never listened") }
            try await Task.sleep(for: .milliseconds(20))
        }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(services.internalPort.value ?? 0)\(path)")
        request.method = .init(rawValue: method.rawValue)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        var headers = HTTPFields()
        for (name, value) in response.headers {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Reply(
            status: .init(code: Int(response.status.code)), headers: headers,
            body: try await response.body.collect(upTo: 16 * 1024 * 1024))
    }

    // MARK: Flows used by many tests

    public static let password = "correct horse battery"

    /// Signs up a customer with a unique address; the e-mail address.
    @discardableResult
    public func signUp(_ email: String? = nil, password: String = TestPortal.password) async throws -> String {
        let email = email ?? "customer-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let reply = try await request(
            .post, "/v1/accounts", json: ["email": email, "password": password, "displayName": "Test Customer"])
        guard reply.status == .created else { throw TestFailure("sign-up failed: \(reply.status) \(reply.text)") }
        return email
    }

    /// Logs in; the reply's `accessToken` and `refreshToken`.
    public func logIn(_ email: String, password: String = TestPortal.password) async throws -> (
        access: String, refresh: String
    ) {
        let reply = try await request(.post, "/v1/sessions", json: ["email": email, "password": password])
        guard reply.status == .ok, let access = reply["accessToken"], let refresh = reply["refreshToken"] else {
            throw TestFailure("login failed: \(reply.status) \(reply.text)")
        }
        return (access, refresh)
    }

    /// The newest token e-mailed to `email` (from the development mailbox).
    public func mailedToken(to email: String) async throws -> String {
        let reply = try await request(.get, "/dev/outbox?to=\(email)")
        // Notices (a password or address changed) carry no token.
        guard let messages = reply.json["messages"] as? [[String: Any]],
            let token = messages.lazy.compactMap({ $0["token"] as? String }).first
        else { throw TestFailure("no mail for \(email): \(reply.text)") }
        return token
    }

    /// Makes an administrator directly through the service (as `customer-portal admin create` does) and logs in.
    public func adminToken() async throws -> String {
        let email = "admin-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        _ = try await services.accounts.createAdmin(
            email: email, password: Self.password, displayName: "Admin",
            origin: RequestOrigin(requestID: "test", clientAddress: nil, userAgent: nil, region: "test"))
        return try await logIn(email).access
    }
}

/// A failed expectation inside a helper.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs `body` against a live portal on a fresh database, on a free port. bcrypt runs at cost 4 so the
/// suite stays fast; the cost itself is tested separately.
public func withTestPortal<T: Sendable>(
    configure: (inout PortalConfiguration) -> Void = { _ in },
    logger: Logger? = nil,
    now: @escaping @Sendable () -> Date = { Date() },
    loginGuard: LoginGuard<ContinuousClock>? = nil,
    _ body: @Sendable (TestPortal) async throws -> T
) async throws -> T {
    var configuration = PortalConfiguration()
    configuration.port = 0
    configuration.internalPort = 0
    configuration.region = "test-region-1"
    configuration.databaseURL = try await TestDatabase.shared.makeDatabase()
    configuration.signingKeys = TestKeys.set
    configuration.bcryptCost = 4
    configuration.developmentMailbox = true
    configuration.databaseTimeout = .seconds(15)
    // A fresh portal's first probe opens its pools' connections, which takes seconds when the suite loads the
    // machine (CI: /health/ready answered 503 at the production bound of 1 s).
    configuration.healthTimeout = .seconds(10)
    configure(&configuration)
    let logger =
        logger
        ?? {
            var logger = Logger(label: "test-portal")
            logger.logLevel = .warning
            return logger
        }()
    let services = try await PortalServices.make(
        configuration: configuration, logger: logger, now: now, loginGuard: loginGuard)
    let app = buildApplication(services: services, logger: logger)
    return try await app.test(.live) { client in
        try await body(TestPortal(services: services, client: client))
    }
}

/// Signing keys shared by the tests: two, so that rotation is exercised.
public enum TestKeys {
    public static let set = SigningKeySet(keys: [.generate(), .generate(now: Date(timeIntervalSinceNow: -86400))])
}
