import Failover
import Foundation

/// One simulated customer: what it knows of its own account. A customer sends one request at a time, so its
/// requests in the history are in causal order.
struct SimulatedCustomer: Sendable {
    struct Session: Sendable {
        var accessToken: String
        var refreshToken: String
        /// Drill time after which the access token is refreshed before use (half its lifetime).
        var refreshAfter: Double
    }

    let id: Int
    let location: String
    let email: String
    var signedUp = false
    /// The password the customer knows to be current; nil after a change of unknown outcome.
    var password: String?
    var session: Session?
    /// The newest `X-Consistency-Token` of its writes, presented on every request (read your own writes).
    var consistencyToken: String?
    var busy = false
    /// Drill time before which the customer sends nothing: it honours `Retry-After` on 429 and 503, and waits a
    /// second after a request that got no answer or a 502/504, as a well-behaved client backs off.
    var restingUntil: Double = 0
    /// No longer used: never signed up, deleted, or the password and session are both unknown.
    var retired = false

    /// A fresh password that the portal's policy accepts (long, not common, unique).
    static func newPassword() -> String { "drill-" + UUID().uuidString.lowercased() }

    func isEligible(for kind: OperationKind, at time: Double) -> Bool {
        guard signedUp, !busy, !retired, time >= restingUntil else { return false }
        switch kind {
        case .signUp: return false
        case .logIn: return session == nil && password != nil
        case .refresh, .readProfile, .updateProfile, .logOut: return session != nil
        case .changePassword, .deleteAccount: return session != nil && password != nil
        }
    }

    /// Keeps the newer of two WAL positions.
    mutating func remember(consistencyToken token: String?) {
        guard let token, let new = LogSequenceNumber(token) else { return }
        if let current = consistencyToken.flatMap({ LogSequenceNumber($0) }), current >= new { return }
        consistencyToken = token
    }

    /// Takes in what an answer says about the customer's own state.
    mutating func learn(from operation: DrillOperation, reply: PortalClient.Reply?, now: Double) {
        busy = false
        remember(consistencyToken: reply?.consistencyToken)
        if reply?.status == 400, reply?.problem == "invalid-consistency-token" {
            // Ahead of the primary: the write that gave it was lost in a failover, and no region will ever
            // replay it. A well-made client forgets it rather than being refused until the primary passes it.
            consistencyToken = nil
        }
        switch reply?.status {
        case 429, 503: restingUntil = now + Double(max(reply?.retryAfter ?? 1, 1))
        case nil, 502, 504: restingUntil = now + 1
        default: break
        }
        let outcome = operation.outcome
        if reply?.status == 401, operation.kind != .logIn, operation.kind != .signUp { session = nil }
        switch (operation.kind, outcome) {
        case (.signUp, .ok): signedUp = true
        case (.signUp, _): retired = true
        case (.logIn, .ok), (.refresh, .ok):
            if let reply, let access = reply["accessToken"], let refresh = reply["refreshToken"] {
                let lifetime = reply["expiresIn"].flatMap(Double.init) ?? 900
                session = Session(accessToken: access, refreshToken: refresh, refreshAfter: now + lifetime / 2)
            }
        case (.logIn, .failed) where reply?.problem == "invalid-credentials":
            password = nil  // something is badly wrong with this account: stop using it
        case (.refresh, .indeterminate), (.logOut, .ok), (.logOut, .indeterminate):
            // An unknown refresh may have spent the token: presenting it again would look like reuse.
            session = nil
        case (.changePassword, .ok): password = operation.password
        case (.changePassword, .indeterminate): password = nil
        case (.deleteAccount, .ok), (.deleteAccount, .indeterminate): retired = true
        default: break
        }
        if session == nil && password == nil { retired = true }
    }
}
