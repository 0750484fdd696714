/// The e-mails the service sends, written into the outbox.
enum Mail {
    static func verifyAddress(to email: EmailAddress, token: OpaqueToken) -> NewOutboxMessage {
        NewOutboxMessage(
            recipient: email.value, template: "verify-address", subject: "Confirm your e-mail address",
            body: "Welcome to CustomerPortal. Confirm your address with this code: \(token.rawValue)",
            token: token.rawValue)
    }

    static func confirmNewAddress(to email: EmailAddress, token: OpaqueToken) -> NewOutboxMessage {
        NewOutboxMessage(
            recipient: email.value, template: "confirm-new-address", subject: "Confirm your new e-mail address",
            body: "Confirm that this is your new CustomerPortal address with this code: \(token.rawValue)",
            token: token.rawValue)
    }

    /// To the account's address after a password change or reset.
    static func passwordChanged(to email: String) -> NewOutboxMessage {
        NewOutboxMessage(
            recipient: email, template: "password-changed", subject: "Your password was changed",
            body: "The password of your CustomerPortal account was just changed, and every other session ended. "
                + "If it was not you, reset your password at once and contact us.",
            token: nil)
    }

    /// To the old address once an e-mail change is confirmed.
    static func emailChanged(to oldEmail: String, newAddress: String) -> NewOutboxMessage {
        NewOutboxMessage(
            recipient: oldEmail, template: "email-changed", subject: "Your e-mail address was changed",
            body: "The e-mail address of your CustomerPortal account was just changed to \(newAddress). "
                + "If it was not you, contact us at once.",
            token: nil)
    }

    static func resetPassword(to email: String, token: OpaqueToken) -> NewOutboxMessage {
        NewOutboxMessage(
            recipient: email, template: "reset-password", subject: "Reset your password",
            body: "Someone asked to reset your CustomerPortal password. The code is valid for 30 minutes: "
                + token.rawValue + ". If it was not you, ignore this e-mail.",
            token: token.rawValue)
    }
}
