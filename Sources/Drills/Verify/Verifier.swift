import AsyncHTTPClient
import Foundation
import Logging

/// Reads the final state of every account in a history through the API, after recovery, and returns the
/// observations the checker needs.
///
/// For each account it presents every refresh token that must work or must be refused. Whether an account
/// whose sign-up or deletion has an unknown outcome exists (or a deleted one is back) it tells by signing the
/// address up again: 201 gone, 409 there. It finds the current password among the candidates (later changes of
/// unknown outcome first, then the latest acknowledged one), reads `GET /v1/me`, and tries every replaced
/// password. Passwords are tried as the current password of a password change, in a session that still
/// works, and only without one by logging in: a refused login counts towards the portal's per-address login
/// throttle, which a drill's single client address would soon reach; a refused password change does not.
/// The probes change state (sessions rotate, a deleted address is taken again), so verify a history once,
/// at the end of a drill.
public struct Verifier: Sendable {
    /// The settings of a verification run.
    public struct Configuration: Sendable {
        /// Where requests go: the edge's entry URL, no trailing slash.
        public var baseURL: String
        /// `X-Client-Location` for every probe (the new primary's region, say); each customer's own when nil.
        public var location: String?
        /// Accounts verified at once (each login costs a bcrypt hash on the server).
        public var concurrency: Int = 4
        public var requestTimeout: Duration = .seconds(10)
        /// How long to keep retrying a probe that the portal answers with 429 or 503 before calling it
        /// inconclusive.
        public var retryFor: Duration = .seconds(30)
        /// An administrator's access token: when given, the verifier counts the accounts with each address.
        public var adminToken: String?

        public init(baseURL: String) { self.baseURL = baseURL }
    }

    public var configuration: Configuration
    private let httpClient: HTTPClient?
    private let logger: Logger

    /// A verifier; without `httpClient` it makes its own for each run.
    public init(
        configuration: Configuration, httpClient: HTTPClient? = nil, logger: Logger = Logger(label: "drill-verifier")
    ) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
    }

    /// Observes every account the history may have created.
    public func verify(_ history: DrillHistory) async throws -> Observations {
        let client =
            httpClient
            ?? HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(2))))
        let portal = PortalClient(http: client, baseURL: configuration.baseURL, timeout: configuration.requestTimeout)
        let probe = AccountProbe(portal: portal, configuration: configuration)
        let consistencyToken = await probe.freshConsistencyToken()
        if consistencyToken == nil {
            logger.warning("no consistency token: reads may come from a lagging standby")
        }
        let accounts = history.customerExpectations().filter(\.mayExist)
        logger.info("verifying", metadata: [DrillLogKey.accounts: "\(accounts.count)"])
        var observations = Observations()
        await withTaskGroup(of: AccountObservation.self) { group in
            var next = 0
            func startOne() {
                let expected = accounts[next]
                next += 1
                group.addTask { await probe.observe(expected, consistencyToken: consistencyToken) }
            }
            while next < min(configuration.concurrency, accounts.count) { startOne() }
            while let observation = await group.next() {
                observations.accounts[observation.email] = observation
                if next < accounts.count { startOne() }
            }
        }
        if httpClient == nil { try await client.shutdown() }
        return observations
    }
}

/// The probes of one account.
struct AccountProbe: Sendable {
    let portal: PortalClient
    let configuration: Verifier.Configuration

    /// Signs up a throw-away account: its `X-Consistency-Token` is a WAL position after every write that
    /// survived, so probes that present it read the final state even in a lagging region.
    func freshConsistencyToken() async -> String? {
        let email = "verifier-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let body = ["email": email, "password": SimulatedCustomer.newPassword(), "displayName": "Verifier"]
        let location = configuration.location
        guard
            case .success(let reply) = await retrying({
                await portal.send(.post, "/v1/accounts", body: body, location: location, consistencyToken: nil)
            })
        else { return nil }
        return reply.status == 201 ? reply.consistencyToken : nil
    }

    func observe(_ expected: CustomerExpectations, consistencyToken: String?) async -> AccountObservation {
        var observation = AccountObservation(email: expected.email)
        let location = configuration.location ?? expected.location
        func send(
            _ method: PortalClient.Method, _ path: String, body: [String: String]? = nil, bearer: String? = nil
        ) async -> PortalClient.Reply? {
            let result = await retrying {
                await portal.send(
                    method, path, body: body, bearer: bearer, location: location, consistencyToken: consistencyToken)
            }
            switch result {
            case .success(let reply): return reply
            case .failure(let failure):
                observation.notes.append("\(method) \(path): \(failure.reason)")
                return nil
            }
        }

        // Sessions first: the password probes below end every other session of the account. A live session
        // that still works gives an access token, with which passwords are tried without failed logins.
        var access: String?
        for token in expected.revokedSessions.map(\.value) + expected.liveSessions.map(\.value) {
            let reply = await send(.post, "/v1/sessions/refresh", body: ["refreshToken": token])
            observation.refreshProbes[token] = Self.result(
                reply, refusal: ["invalid-refresh-token", "refresh-token-reused"])
            if reply?.status == 200, let token = reply?["accessToken"] { access = token }
        }

        switch expected.deletion {
        case .acknowledged:
            observation.exists = await addressTaken(expected.email, send: send)
            return observation
        case .maybe:
            // Whether it exists decides everything else; asking costs no failed login.
            observation.exists = await addressTaken(expected.email, send: send)
            guard observation.exists == true else { return observation }
        case .none:
            if expected.acknowledgedSignUps.isEmpty {
                observation.exists = await addressTaken(expected.email, send: send)
                guard observation.exists == true else { return observation }
            }
        }

        // The current password: tried as the current password of a change to itself, in a session that
        // works, else by logging in (a refused login counts towards the portal's throttle).
        var decided = false
        if let session = access {
            decided = true
            for candidate in expected.loginCandidates {
                let reply = await send(
                    .post, "/v1/me/password", body: ["currentPassword": candidate, "newPassword": candidate],
                    bearer: session)
                switch Self.result(reply, refusal: ["invalid-credentials"]) {
                case .accepted: observation.workingPassword = candidate
                case .rejected: observation.refusedPasswords.append(candidate)
                case .inconclusive: decided = false
                }
                if observation.workingPassword != nil || !decided { break }
            }
        }
        if !decided {
            observation.refusedPasswords = []
            access = nil
            for candidate in expected.loginCandidates {
                let body = ["email": expected.email, "password": candidate]
                guard let reply = await send(.post, "/v1/sessions", body: body) else { break }
                if reply.status == 200, let token = reply["accessToken"] {
                    observation.workingPassword = candidate
                    access = token
                    break
                }
                guard reply.problem == "invalid-credentials" else {
                    observation.notes.append("login answered \(reply.status) \(reply.problem ?? "")")
                    break
                }
                observation.refusedPasswords.append(candidate)
            }
        }
        guard let session = access, let working = observation.workingPassword else {
            let allRefused = observation.refusedPasswords.count == expected.loginCandidates.count
            if observation.exists == nil, !expected.loginCandidates.isEmpty, allRefused {
                observation.exists = await addressTaken(expected.email, send: send)
            }
            return observation
        }
        observation.exists = true
        if let me = await send(.get, "/v1/me", bearer: session), me.status == 200 {
            observation.accountID = me["id"]
            observation.displayName = me["displayName"]
        } else {
            observation.notes.append("GET /v1/me failed")
        }
        for replaced in expected.replacedPasswords.map(\.value) where replaced != working {
            let reply = await send(
                .post, "/v1/me/password", body: ["currentPassword": replaced, "newPassword": working], bearer: session)
            observation.replacedPasswordProbes[replaced] = Self.result(reply, refusal: ["invalid-credentials"])
        }
        if let admin = configuration.adminToken {
            let query = expected.email.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? expected.email
            if let reply = await send(.get, "/v1/admin/accounts?query=\(query)&limit=200", bearer: admin),
                reply.status == 200
            {
                observation.accountsWithAddress = reply.listedEmails.count { $0.lowercased() == expected.email }
            }
        }
        return observation
    }

    /// Whether an account has the address, told by signing it up again: 409 `email-taken` if it has.
    private func addressTaken(
        _ email: String,
        send: (PortalClient.Method, String, [String: String]?, String?) async -> PortalClient.Reply?
    ) async -> Bool? {
        let body = ["email": email, "password": SimulatedCustomer.newPassword(), "displayName": "Probe"]
        guard let reply = await send(.post, "/v1/accounts", body, nil) else { return nil }
        switch (reply.status, reply.problem) {
        case (201, _): return false
        case (409, _): return true
        default: return nil
        }
    }

    /// 2xx is accepted, 401 with one of `refusal` rejected, anything else inconclusive.
    static func result(_ reply: PortalClient.Reply?, refusal: Set<String>) -> ProbeResult {
        guard let reply else { return .inconclusive }
        if (200..<300).contains(reply.status) { return .accepted }
        if reply.status == 401, let problem = reply.problem, refusal.contains(problem) { return .rejected }
        return .inconclusive
    }

    /// Retries a probe that was throttled (429) or met a region that cannot serve yet (503, 502, no answer),
    /// waiting `Retry-After` (at most 5 s) between tries, for up to `retryFor`.
    private func retrying(
        _ attempt: () async -> Result<PortalClient.Reply, PortalClient.NoAnswer>
    ) async -> Result<PortalClient.Reply, PortalClient.NoAnswer> {
        let deadline = ContinuousClock.now + configuration.retryFor
        while true {
            let result = await attempt()
            let wait: Duration
            switch result {
            case .success(let reply) where [429, 502, 503, 504].contains(reply.status):
                wait = .seconds(min(max(reply.retryAfter ?? 1, 1), 5))
            case .failure: wait = .seconds(1)
            default: return result
            }
            guard ContinuousClock.now + wait < deadline else { return result }
            try? await Task.sleep(for: wait)
        }
    }
}
