/// Judges a drill the way Jepsen does: a pure function of the client's history and the final observations.
/// An acknowledged write must be there; a write of unknown outcome may or may not be; anything ended or
/// replaced must stay so.
public enum Checker {
    /// Every finding, by kind.
    public static func check(history: DrillHistory, observations: Observations) -> CheckResult {
        var result = CheckResult()
        let writes = history.operations.filter { $0.kind.isWrite }
        result.acknowledgedWrites = writes.count { $0.outcome == .ok }
        result.indeterminateWrites = writes.count { $0.outcome == .indeterminate }
        let operations = Dictionary(history.operations.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })

        for ledger in history.ledgers() {
            result.readYourWritesFailures += ledger.readYourWritesFailures
            let expected = ledger.finalExpectations
            guard expected.mayExist else { continue }
            guard let observed = observations.accounts[expected.email] else {
                if !expected.acknowledgedSignUps.isEmpty {
                    result.inconclusive.append(Finding(.inconclusive, email: expected.email, detail: "not verified"))
                }
                continue
            }
            result.accountsChecked += 1
            check(expected, observed, into: &result)
        }
        result.fencedWrites = observations.fencedPrimaryWrites.map {
            Finding(.fencedWrite, time: $0.time, detail: "\($0.region): \($0.detail)")
        }
        let lost = result.lostWrites.compactMap { $0.operation.flatMap { operations[$0] } }
        if let first = lost.map(\.sent).min(), let last = lost.map({ $0.answered ?? $0.sent }).max() {
            result.lostWriteWindow = TimeWindow(start: first, end: last)
        }
        return result
    }

    private static func check(
        _ expected: CustomerExpectations, _ observed: AccountObservation, into result: inout CheckResult
    ) {
        let email = expected.email
        for note in observed.notes { result.inconclusive.append(Finding(.inconclusive, email: email, detail: note)) }
        checkDuplicates(expected, observed, into: &result)
        checkSessions(expected, observed, into: &result)

        switch expected.deletion {
        case .acknowledged(let deletion):
            if observed.exists == true {
                result.resurrections.append(
                    Finding(
                        .resurrection, email: email, operation: deletion.id, time: deletion.sent,
                        detail: "the account deleted by #\(deletion.id) exists again"))
            }
            return
        case .maybe: return
        case .none: break
        }

        guard let signUp = expected.acknowledgedSignUps.first else { return }  // a maybe sign-up may be absent
        switch observed.exists {
        case nil: return
        case false?:
            result.lostWrites.append(
                Finding(
                    .lostWrite, email: email, operation: signUp.id, time: signUp.sent,
                    detail: "the account signed up by #\(signUp.id) is missing"))
            return
        case true?: break
        }
        checkPassword(expected, observed, into: &result)
        checkDisplayName(expected, observed, into: &result)
    }

    private static func checkDuplicates(
        _ expected: CustomerExpectations, _ observed: AccountObservation, into result: inout CheckResult
    ) {
        let email = expected.email
        if expected.acknowledgedSignUps.count > 1 {
            let ids = expected.acknowledgedSignUps.map { "#\($0.id)" }.joined(separator: ", ")
            result.duplicates.append(
                Finding(
                    .duplicate, email: email, operation: expected.acknowledgedSignUps[1].id,
                    detail: "\(expected.acknowledgedSignUps.count) sign-ups of one address succeeded (\(ids))"))
        }
        if let count = observed.accountsWithAddress, count > 1 {
            result.duplicates.append(Finding(.duplicate, email: email, detail: "\(count) accounts have this address"))
        }
        if let signUp = expected.acknowledgedSignUps.first, let id = signUp.accountID, let seen = observed.accountID,
            seen != id
        {
            result.duplicates.append(
                Finding(
                    .duplicate, email: email, operation: signUp.id, time: signUp.sent,
                    detail: "the address belongs to account \(seen), not \(id) created by #\(signUp.id)"))
        }
    }

    private static func checkSessions(
        _ expected: CustomerExpectations, _ observed: AccountObservation, into result: inout CheckResult
    ) {
        let email = expected.email
        for revoked in expected.revokedSessions {
            switch observed.refreshProbes[revoked.value] {
            case .accepted?:
                result.resurrections.append(
                    Finding(
                        .resurrection, email: email, operation: revoked.operation, time: revoked.time,
                        detail: "the session ended by #\(revoked.operation) works again"))
            case .inconclusive?:
                result.inconclusive.append(
                    Finding(
                        .inconclusive, email: email, operation: revoked.operation, detail: "revoked session not probed")
                )
            case .rejected?, nil: break
            }
        }
        guard case .none = expected.deletion else { return }
        for live in expected.liveSessions where observed.refreshProbes[live.value] == .rejected {
            result.lostWrites.append(
                Finding(
                    .lostWrite, email: email, operation: live.operation, time: live.time,
                    detail: "the refresh token issued by #\(live.operation) is refused"))
        }
    }

    private static func checkPassword(
        _ expected: CustomerExpectations, _ observed: AccountObservation, into result: inout CheckResult
    ) {
        let email = expected.email
        for replaced in expected.replacedPasswords {
            let works =
                observed.workingPassword == replaced.value
                || observed.replacedPasswordProbes[replaced.value] == .accepted
            if works {
                result.resurrections.append(
                    Finding(
                        .resurrection, email: email, operation: replaced.operation, time: replaced.time,
                        detail: "the password replaced by #\(replaced.operation) works again"))
            } else if observed.replacedPasswordProbes[replaced.value] == .inconclusive {
                result.inconclusive.append(
                    Finding(
                        .inconclusive, email: email, operation: replaced.operation,
                        detail: "replaced password not probed"))
            }
        }
        guard let password = expected.password else { return }
        let allowed = Set(expected.loginCandidates)
        if let working = observed.workingPassword, allowed.contains(working) { return }
        if observed.workingPassword != nil || observed.refusedPasswords.contains(password.value) {
            result.lostWrites.append(
                Finding(
                    .lostWrite, email: email, operation: password.operation, time: password.time,
                    detail: "the password set by #\(password.operation) is refused"))
        }
    }

    private static func checkDisplayName(
        _ expected: CustomerExpectations, _ observed: AccountObservation, into result: inout CheckResult
    ) {
        guard let name = expected.displayName, let seen = observed.displayName else { return }
        guard !expected.allowedDisplayNames.contains(seen) else { return }
        result.lostWrites.append(
            Finding(
                .lostWrite, email: expected.email, operation: name.operation, time: name.time,
                detail:
                    "the display name \"\(name.value)\" written by #\(name.operation) is missing; the account shows \"\(seen)\""
            ))
    }
}
