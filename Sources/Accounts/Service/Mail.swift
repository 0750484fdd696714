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

    static func resetPassword(to email: String, token: OpaqueToken) -> NewOutboxMessage {
        NewOutboxMessage(
            recipient: email, template: "reset-password", subject: "Reset your password",
            body: "Someone asked to reset your CustomerPortal password. The code is valid for 30 minutes: "
                + token.rawValue + ". If it was not you, ignore this e-mail.",
            token: token.rawValue)
    }
}
