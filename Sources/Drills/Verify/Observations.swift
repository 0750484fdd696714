/// The answer of one probe after recovery.
public enum ProbeResult: String, Codable, Hashable, Sendable {
    /// The system accepted it (a login, a refresh, a password).
    case accepted
    /// The system refused it, with the answer that means "no such thing".
    case rejected
    /// The probe got no usable answer (a timeout, a 5xx, throttling): no conclusion.
    case inconclusive
}

/// What the verifier saw of one account after recovery, through the API.
public struct AccountObservation: Codable, Hashable, Sendable {
    public var email: String
    /// Whether the account exists; nil when that could not be told.
    public var exists: Bool?
    /// The password a login succeeded with; nil when none did.
    public var workingPassword: String?
    /// Passwords a login refused as wrong.
    public var refusedPasswords: [String]
    /// The account's id and display name, read from `GET /v1/me` after logging in.
    public var accountID: String?
    public var displayName: String?
    /// Replaced passwords, each tried as the current password: must be `rejected`.
    public var replacedPasswordProbes: [String: ProbeResult]
    /// Refresh tokens, each presented once: revoked ones must be `rejected`, live ones `accepted`.
    public var refreshProbes: [String: ProbeResult]
    /// How many accounts an administrator sees with this address (when the verifier had an admin token).
    public var accountsWithAddress: Int?
    /// Why something could not be checked.
    public var notes: [String]

    public init(
        email: String, exists: Bool? = nil, workingPassword: String? = nil, refusedPasswords: [String] = [],
        accountID: String? = nil, displayName: String? = nil, replacedPasswordProbes: [String: ProbeResult] = [:],
        refreshProbes: [String: ProbeResult] = [:], accountsWithAddress: Int? = nil, notes: [String] = []
    ) {
        self.email = email
        self.exists = exists
        self.workingPassword = workingPassword
        self.refusedPasswords = refusedPasswords
        self.accountID = accountID
        self.displayName = displayName
        self.replacedPasswordProbes = replacedPasswordProbes
        self.refreshProbes = refreshProbes
        self.accountsWithAddress = accountsWithAddress
        self.notes = notes
    }
}

/// The final observations the checker judges the history against: what the verifier read through the API,
/// and what the caller found outside it.
public struct Observations: Codable, Hashable, Sendable {
    /// By e-mail address.
    public var accounts: [String: AccountObservation]
    /// Writes accepted by a fenced primary. The verifier cannot see these; the caller fills them in.
    public var fencedPrimaryWrites: [FencedWrite]

    public init(accounts: [String: AccountObservation] = [:], fencedPrimaryWrites: [FencedWrite] = []) {
        self.accounts = accounts
        self.fencedPrimaryWrites = fencedPrimaryWrites
    }
}
