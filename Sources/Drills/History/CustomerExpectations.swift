/// A value some operation wrote (a password, a display name, a refresh token), and which operation.
public struct WrittenValue: Codable, Hashable, Sendable {
    public var value: String
    /// The operation that wrote it (or, for a revoked token, revoked it).
    public var operation: Int
    /// When that operation was sent, in seconds since the drill's start.
    public var time: Double

    public init(value: String, operation: Int, time: Double) {
        self.value = value
        self.operation = operation
        self.time = time
    }

    init(_ value: String, _ operation: DrillOperation) {
        self.init(value: value, operation: operation.id, time: operation.sent)
    }
}

/// What the history says must, may and must not be true of one customer's account after recovery. Derived
/// from the history alone; the verifier probes it and the checker judges the probes against it.
public struct CustomerExpectations: Hashable, Sendable {
    /// Whether the account was deleted.
    public enum Deletion: Hashable, Sendable {
        case none
        /// A deletion whose outcome is unknown: the account may or may not exist.
        case maybe(DrillOperation)
        /// An acknowledged deletion: the account must not come back.
        case acknowledged(DrillOperation)
    }

    public var email: String
    public var client: Int
    public var location: String
    /// Acknowledged sign-ups of this address: exactly one, or a duplicate.
    public var acknowledgedSignUps: [DrillOperation] = []
    /// A sign-up whose outcome is unknown (when none was acknowledged).
    public var maybeSignUp: DrillOperation?
    public var deletion: Deletion = .none
    /// The latest acknowledged password, and the sign-up or change that set it.
    public var password: WrittenValue?
    /// Passwords of later changes whose outcome is unknown, newest first: any of them may be current.
    public var maybePasswords: [WrittenValue] = []
    /// Passwords that an acknowledged change replaced; each must be refused. `operation` is the replacing change.
    public var replacedPasswords: [WrittenValue] = []
    /// The latest acknowledged display name, and the sign-up or update that wrote it.
    public var displayName: WrittenValue?
    /// Display names of updates whose outcome is unknown: any of them may be current.
    public var maybeDisplayNames: [WrittenValue] = []
    /// Refresh tokens of sessions ended by an acknowledged logout or password change; each must be refused.
    /// `operation` is the request that ended the session.
    public var revokedSessions: [WrittenValue] = []
    /// The latest refresh token of every session that must still work; `operation` issued it.
    public var liveSessions: [WrittenValue] = []

    /// Whether the account may exist at all (some sign-up was acknowledged or may have happened).
    public var mayExist: Bool { !acknowledgedSignUps.isEmpty || maybeSignUp != nil }

    /// Passwords to log in with, most likely current first: later changes of unknown outcome, then the latest
    /// acknowledged one (or the maybe sign-up's).
    public var loginCandidates: [String] {
        var candidates = maybePasswords.map(\.value)
        if let password { candidates.append(password.value) }
        return candidates
    }

    /// Display names the account may show after recovery.
    public var allowedDisplayNames: Set<String> {
        Set(maybeDisplayNames.map(\.value) + (displayName.map { [$0.value] } ?? []))
    }
}

extension DrillHistory {
    /// Every customer's expectations, in the order the customers first appear.
    public func customerExpectations() -> [CustomerExpectations] { ledgers().map(\.finalExpectations) }

    /// Replays the history one customer at a time, in the order requests were sent.
    func ledgers() -> [CustomerLedger] {
        var ledgers: [CustomerLedger] = []
        var index: [String: Int] = [:]
        for operation in operations.sorted(by: { ($0.sent, $0.id) < ($1.sent, $1.id) }) where operation.wasSent {
            let position =
                index[operation.email]
                ?? {
                    ledgers.append(CustomerLedger(first: operation))
                    index[operation.email] = ledgers.count - 1
                    return ledgers.count - 1
                }()
            ledgers[position].apply(operation)
        }
        return ledgers
    }
}

/// One customer's history replayed in order: builds the expectations, and notes every answer in which the
/// system failed to show the customer its own acknowledged write.
struct CustomerLedger {
    struct Session {
        enum State { case live, revoked, unknown, ended }
        var token: String
        var issuedBy: DrillOperation
        var state: State
        var endedBy: DrillOperation?
    }

    var expectations: CustomerExpectations
    var sessions: [Session] = []
    var readYourWritesFailures: [Finding] = []

    init(first: DrillOperation) {
        expectations = CustomerExpectations(email: first.email, client: first.client, location: first.location)
    }

    mutating func apply(_ operation: DrillOperation) {
        switch operation.kind {
        case .signUp: applySignUp(operation)
        case .logIn: applyLogIn(operation)
        case .refresh: applyRefresh(operation)
        case .readProfile: applyRead(operation)
        case .updateProfile: applyUpdate(operation)
        case .changePassword: applyPasswordChange(operation)
        case .logOut: applyLogOut(operation)
        case .deleteAccount: applyDeletion(operation)
        }
    }

    private mutating func applySignUp(_ operation: DrillOperation) {
        switch operation.outcome {
        case .ok:
            expectations.acknowledgedSignUps.append(operation)
            expectations.maybeSignUp = nil
            if let password = operation.password { expectations.password = WrittenValue(password, operation) }
            if let name = operation.displayName { expectations.displayName = WrittenValue(name, operation) }
        case .indeterminate where expectations.acknowledgedSignUps.isEmpty:
            expectations.maybeSignUp = operation
            if let password = operation.password {
                expectations.maybePasswords.insert(WrittenValue(password, operation), at: 0)
            }
            if let name = operation.displayName { expectations.maybeDisplayNames.append(WrittenValue(name, operation)) }
        default: break
        }
    }

    private mutating func applyLogIn(_ operation: DrillOperation) {
        switch operation.outcome {
        case .ok:
            if let token = operation.newRefreshToken {
                sessions.append(Session(token: token, issuedBy: operation, state: .live))
            }
        case .failed where operation.error == "invalid-credentials":
            // Refused with the password the customer had set and knew to be current.
            if let used = operation.password, used == expectations.password?.value, expectations.maybePasswords.isEmpty,
                let setter = expectations.password
            {
                readYourWritesFailures.append(
                    Finding(
                        .readYourWrites, email: operation.email, operation: operation.id, time: operation.sent,
                        detail: "login #\(operation.id) refused the password acknowledged by #\(setter.operation)"))
            }
        default: break
        }
    }

    private mutating func applyRefresh(_ operation: DrillOperation) {
        guard let index = liveSession(operation.refreshToken) else { return }
        switch operation.outcome {
        case .ok:
            if let token = operation.newRefreshToken {
                sessions[index].token = token
                sessions[index].issuedBy = operation
            }
        case .indeterminate: sessions[index].state = .unknown
        case .failed: noteRefusal(operation, session: index)
        case .shed: break
        }
    }

    private mutating func applyRead(_ operation: DrillOperation) {
        let session = liveSession(operation.refreshToken)
        if operation.outcome == .failed, let session { noteRefusal(operation, session: session) }
        guard operation.outcome == .ok, let read = operation.displayName, let written = expectations.displayName,
            read != written.value, !expectations.maybeDisplayNames.contains(where: { $0.value == read })
        else { return }
        readYourWritesFailures.append(
            Finding(
                .readYourWrites, email: operation.email, operation: operation.id, time: operation.sent,
                detail: "profile read #\(operation.id) showed \"\(read)\", not \"\(written.value)\" written by "
                    + "#\(written.operation)"))
    }

    private mutating func applyUpdate(_ operation: DrillOperation) {
        switch operation.outcome {
        case .ok:
            if let name = operation.displayName { expectations.displayName = WrittenValue(name, operation) }
        case .indeterminate:
            if let name = operation.displayName { expectations.maybeDisplayNames.append(WrittenValue(name, operation)) }
        case .failed: noteRefusal(operation, session: liveSession(operation.refreshToken))
        case .shed: break
        }
    }

    private mutating func applyPasswordChange(_ operation: DrillOperation) {
        let calling = liveSession(operation.refreshToken)
        switch operation.outcome {
        case .ok:
            guard let new = operation.password else { return }
            // A change that succeeded with the current password proves that no earlier change of unknown
            // outcome had taken effect, and none can any more (it would need the replaced password).
            if let old = expectations.password {
                expectations.replacedPasswords.append(
                    WrittenValue(value: old.value, operation: operation.id, time: operation.sent))
            }
            expectations.maybePasswords = []
            expectations.password = WrittenValue(new, operation)
            for index in sessions.indices where index != calling && sessions[index].state == .live {
                sessions[index].state = .revoked
                sessions[index].endedBy = operation
            }
        case .indeterminate:
            if let new = operation.password { expectations.maybePasswords.insert(WrittenValue(new, operation), at: 0) }
            for index in sessions.indices where index != calling && sessions[index].state == .live {
                sessions[index].state = .unknown
            }
        case .failed: noteRefusal(operation, session: calling)
        case .shed: break
        }
    }

    private mutating func applyLogOut(_ operation: DrillOperation) {
        guard let index = liveSession(operation.refreshToken) else { return }
        switch operation.outcome {
        case .ok:
            sessions[index].state = .revoked
            sessions[index].endedBy = operation
        case .indeterminate: sessions[index].state = .unknown
        case .failed: noteRefusal(operation, session: index)
        case .shed: break
        }
    }

    private mutating func applyDeletion(_ operation: DrillOperation) {
        switch operation.outcome {
        case .ok: expectations.deletion = .acknowledged(operation)
        case .indeterminate:
            if case .none = expectations.deletion { expectations.deletion = .maybe(operation) }
        case .failed:
            noteRefusal(operation, session: liveSession(operation.refreshToken))
            return
        case .shed: return
        }
        // A deleted account's sessions end with it; whether it stays deleted is checked on the account.
        for index in sessions.indices where sessions[index].state != .revoked { sessions[index].state = .ended }
    }

    /// A 401 on a session the customer had every reason to think live: the session (or its latest rotation)
    /// is missing. Any other refusal leaves the session as it was, except that the client stops using it.
    private mutating func noteRefusal(_ operation: DrillOperation, session index: Int?) {
        guard let index else { return }
        if operation.status == 401 {
            readYourWritesFailures.append(
                Finding(
                    .readYourWrites, email: operation.email, operation: operation.id, time: operation.sent,
                    detail: "\(operation.kind.rawValue) #\(operation.id) was refused (401 \(operation.error ?? "")) "
                        + "in the session issued by #\(sessions[index].issuedBy.id)"))
            sessions[index].state = .ended
        }
    }

    private func liveSession(_ token: String?) -> Int? {
        guard let token else { return nil }
        return sessions.firstIndex { $0.token == token && $0.state == .live }
    }

    /// The expectations with the sessions sorted into those that must work and those that must be refused.
    var finalExpectations: CustomerExpectations {
        var result = expectations
        for session in sessions {
            switch session.state {
            case .live: result.liveSessions.append(WrittenValue(session.token, session.issuedBy))
            case .revoked:
                if let ended = session.endedBy { result.revokedSessions.append(WrittenValue(session.token, ended)) }
            case .unknown, .ended: break
            }
        }
        return result
    }
}
