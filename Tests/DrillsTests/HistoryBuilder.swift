import Foundation

@testable import Drills

/// Builds synthetic histories request by request, each sent 0.1 s after the previous one and answered 20 ms
/// later unless told otherwise.
struct HistoryBuilder {
    private(set) var operations: [DrillOperation] = []
    var time = 0.0
    var region = "us-east-1"

    var history: DrillHistory {
        DrillHistory(startedAt: Date(timeIntervalSince1970: 1_800_000_000.25), operations: operations)
    }

    /// Records one request; `configure` fills the identity fields.
    @discardableResult
    mutating func record(
        _ kind: OperationKind, _ email: String, _ outcome: Outcome = .ok, status: Int? = nil, error: String? = nil,
        at sent: Double? = nil, latency: Double = 0.02, configure: (inout DrillOperation) -> Void = { _ in }
    ) -> DrillOperation {
        let sentAt = sent ?? time
        time = sentAt + 0.1
        var operation = DrillOperation(
            id: operations.count, client: 0, location: "us", kind: kind, email: email,
            sent: sentAt, outcome: outcome, error: error)
        switch outcome {
        case .ok:
            operation.answered = sentAt + latency
            operation.status = status ?? (kind == .signUp ? 201 : 200)
            operation.region = region
        case .failed:
            operation.answered = sentAt + latency
            operation.status = status ?? 503
            operation.region = region
        case .indeterminate, .shed:
            operation.status = status
        }
        configure(&operation)
        operations.append(operation)
        return operation
    }

    /// A sign-up with `password` and display name `name`, acknowledged as account `id`.
    mutating func signUp(_ email: String, password: String, name: String, _ outcome: Outcome = .ok) {
        record(.signUp, email, outcome) {
            $0.password = password
            $0.displayName = name
            $0.accountID = outcome == .ok ? "id-\(email)" : nil
        }
    }

    /// A login that opens a session with refresh token `token`.
    mutating func logIn(_ email: String, password: String, token: String) {
        record(.logIn, email) {
            $0.password = password
            $0.newRefreshToken = token
        }
    }

    mutating func refresh(_ email: String, from old: String, to new: String, _ outcome: Outcome = .ok) {
        record(.refresh, email, outcome) {
            $0.refreshToken = old
            $0.newRefreshToken = outcome == .ok ? new : nil
        }
    }

    mutating func update(_ email: String, session: String, name: String, _ outcome: Outcome = .ok) {
        record(.updateProfile, email, outcome) {
            $0.refreshToken = session
            $0.displayName = name
        }
    }

    mutating func read(_ email: String, session: String, saw name: String) {
        record(.readProfile, email) {
            $0.refreshToken = session
            $0.displayName = name
            $0.accountID = "id-\(email)"
        }
    }

    mutating func changePassword(
        _ email: String, session: String, from old: String, to new: String, _ outcome: Outcome = .ok
    ) {
        record(.changePassword, email, outcome, status: outcome == .ok ? 204 : nil) {
            $0.refreshToken = session
            $0.previousPassword = old
            $0.password = new
        }
    }

    mutating func logOut(_ email: String, session: String, _ outcome: Outcome = .ok) {
        record(.logOut, email, outcome, status: outcome == .ok ? 204 : nil) { $0.refreshToken = session }
    }

    mutating func delete(_ email: String, session: String, password: String, _ outcome: Outcome = .ok) {
        record(.deleteAccount, email, outcome, status: outcome == .ok ? 204 : nil) {
            $0.refreshToken = session
            $0.previousPassword = password
        }
    }
}
