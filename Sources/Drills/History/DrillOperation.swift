/// What a simulated customer asked the portal to do.
public enum OperationKind: String, Codable, Sendable, CaseIterable, Comparable {
    case signUp = "sign-up"
    case logIn = "log-in"
    case refresh
    case readProfile = "read-profile"
    case updateProfile = "update-profile"
    case changePassword = "change-password"
    case logOut = "log-out"
    case deleteAccount = "delete-account"

    /// Whether the operation changes stored state (and so goes to the primary and can be lost). A login writes a
    /// session and a refresh rotates a token, so both are writes.
    public var isWrite: Bool { self != .readProfile }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// How a request ended, from the client's point of view.
public enum Outcome: String, Codable, Sendable, CaseIterable {
    /// A success (2xx): the write is acknowledged.
    case ok
    /// A definite failure with no effect: a 4xx, or a 5xx that says nothing was done.
    case failed
    /// No answer, or an answer that does not say whether it happened (timeout, dropped connection, 504): a
    /// write may or may not have taken effect, and the checker treats it as "maybe".
    case indeterminate
    /// Never sent: dropped by the workload's own bound on requests in flight (client-side shed).
    case shed

    /// Classifies an HTTP answer. Only answers that prove nothing happened count as `failed`: a 4xx, a 503
    /// `writes-unavailable` (refused before any write), a 502 `upstream-unreachable` (the edge reached no
    /// endpoint). Every other 5xx of a write may hide a commit, so it is `indeterminate`.
    public static func classify(status: Int, problem: String?, isWrite: Bool) -> Outcome {
        switch status {
        case 200..<300: return .ok
        case 400..<500: return .failed
        default:
            guard isWrite else { return .failed }
            switch (status, problem) {
            // Refused before any work: fenced, shed, or no region reached.
            case (503, "writes-unavailable"), (503, "overloaded"), (502, "upstream-unreachable"): return .failed
            default: return .indeterminate
            }
        }
    }
}

/// One request of a drill, as the client saw it. Times are seconds since the drill's start.
///
/// Writes carry an identity that the verifier can check afterwards: the e-mail of a sign-up, the display name
/// of a profile update, the new password of a password change, the refresh token of a logged-out session.
/// These are throw-away lab credentials; a history is never made against real customers.
public struct DrillOperation: Codable, Hashable, Sendable, Identifiable {
    /// The request's number in the history, in the order requests were sent.
    public var id: Int
    /// The simulated customer that sent it.
    public var client: Int
    /// The customer's location, sent as `X-Client-Location` (`us`, `eu`, `ap`).
    public var location: String
    public var kind: OperationKind
    /// The customer's e-mail address: the account the request is about.
    public var email: String
    /// When it was sent, in seconds since the drill's start.
    public var sent: Double
    /// When the answer arrived; nil when none did (timeout, dropped connection, shed).
    public var answered: Double?
    /// `X-Served-By-Region` of the answer (set by the edge); nil when the request did not go through an edge.
    public var region: String?
    /// The HTTP status; nil when there was no answer.
    public var status: Int?
    public var outcome: Outcome
    /// The problem code of an error answer (`writes-unavailable`), or why there was no answer.
    public var error: String?
    /// Sign-up and profile update: the display name written. Profile read: the display name read.
    public var displayName: String?
    /// Sign-up: the first password. Password change: the new password.
    public var password: String?
    /// Password change and account deletion: the password the customer believed current.
    public var previousPassword: String?
    /// The refresh token of the session the request acted in: presented to a refresh, revoked by a logout, the
    /// session of a profile read or update, password change or deletion.
    public var refreshToken: String?
    /// Login and refresh: the refresh token issued by a success.
    public var newRefreshToken: String?
    /// Sign-up: the new account's id. Profile read: the id read.
    public var accountID: String?

    /// An operation as recorded; the answer's fields stay nil until there is one.
    public init(
        id: Int, client: Int, location: String, kind: OperationKind, email: String, sent: Double,
        answered: Double? = nil, region: String? = nil, status: Int? = nil, outcome: Outcome = .indeterminate,
        error: String? = nil, displayName: String? = nil, password: String? = nil, previousPassword: String? = nil,
        refreshToken: String? = nil, newRefreshToken: String? = nil, accountID: String? = nil
    ) {
        self.id = id
        self.client = client
        self.location = location
        self.kind = kind
        self.email = email
        self.sent = sent
        self.answered = answered
        self.region = region
        self.status = status
        self.outcome = outcome
        self.error = error
        self.displayName = displayName
        self.password = password
        self.previousPassword = previousPassword
        self.refreshToken = refreshToken
        self.newRefreshToken = newRefreshToken
        self.accountID = accountID
    }

    /// Seconds from sending to the answer; nil without an answer.
    public var latency: Double? { answered.map { $0 - sent } }

    /// Whether the request was actually sent (not shed by the client).
    public var wasSent: Bool { outcome != .shed }
}
