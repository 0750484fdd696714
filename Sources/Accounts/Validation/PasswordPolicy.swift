import Foundation

/// The password rules, after NIST SP 800-63B §5.1.1.2: length 12–128, not the e-mail address, and not a
/// commonly used password. No composition rules and no forced rotation.
public struct PasswordPolicy: Sendable {
    public var minimumLength: Int
    public var maximumLength: Int
    /// Lower-cased passwords and base words that are refused.
    public var commonPasswords: Set<String>

    public init(minimumLength: Int = 12, maximumLength: Int = 128, commonPasswords: Set<String>) {
        self.minimumLength = minimumLength
        self.maximumLength = maximumLength
        self.commonPasswords = commonPasswords
    }

    /// The policy with the list of common passwords shipped with the project.
    public static let standard = PasswordPolicy(commonPasswords: CommonPasswords.shipped)

    /// Throws a validation error naming `field` when the password breaks a rule.
    public func check(_ password: String, email: EmailAddress?, field: String = "password") throws(AccountsError) {
        let length = password.count
        guard length >= minimumLength else {
            throw .invalid(field, "must be at least \(minimumLength) characters")
        }
        guard length <= maximumLength else {
            throw .invalid(field, "must be at most \(maximumLength) characters")
        }
        let lowered = password.lowercased()
        if let email, lowered == email.normalized || lowered == email.normalized.split(separator: "@")[0] {
            throw .invalid(field, "must not be your e-mail address")
        }
        if isCommon(lowered) {
            throw .invalid(field, "is too common; choose a less predictable password")
        }
        if Set(lowered).count <= 2 {
            throw .invalid(field, "must not repeat one or two characters")
        }
        if Self.isRepetition(lowered) {
            throw .invalid(field, "must not be one word or pattern repeated")
        }
    }

    /// A password is common when it, or it stripped of trailing digits and symbols, or its leading run
    /// of letters, is in the list ("Password2024!" is refused because "password" is).
    private func isCommon(_ lowered: String) -> Bool {
        if commonPasswords.contains(lowered) { return true }
        let stripped = String(lowered.reversed().drop { !$0.isLetter }.reversed())
        if stripped != lowered, commonPasswords.contains(stripped) { return true }
        let letters = String(lowered.prefix { $0.isLetter })
        if letters.count * 2 >= lowered.count, commonPasswords.contains(letters) { return true }
        return Self.isSequence(lowered)
    }

    /// Whether the text is a shorter unit written two or more times ("passwordpassword", "abc123abc123").
    private static func isRepetition(_ text: String) -> Bool {
        let characters = Array(text)
        let count = characters.count
        for unit in 1...max(1, count / 2) where count % unit == 0 {
            if (unit..<count).allSatisfy({ characters[$0] == characters[$0 % unit] }) { return true }
        }
        return false
    }

    /// Keyboard rows and digit or letter runs such as "123456789012" or "abcdefghijkl".
    private static func isSequence(_ text: String) -> Bool {
        let rows = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz"]
        let repeated = rows.map { String(repeating: $0, count: 14) }
        return repeated.contains { $0.contains(text) } || repeated.contains { String($0.reversed()).contains(text) }
    }
}

/// The list of common passwords shipped in the package's resources (one per line, `#` for comments).
public enum CommonPasswords {
    public static let shipped: Set<String> = {
        guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return [] }
        return parse(text)
    }()

    /// Parses the list format: one lower-cased entry per line, blank lines and `#` comments ignored.
    public static func parse(_ text: String) -> Set<String> {
        Set(
            text.split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") })
    }
}
