import Accounts
import Foundation
import Hummingbird

/// Password reset by e-mailed single-use token.
struct PasswordResetRoutes {
    let accounts: AccountService
    let region: String
    let bodyLimit: Int

    func register(public router: RouterGroup<PortalRequestContext>) {
        router.post("v1/password-resets") { request, context in
            let body = try await request.decodeJSON(PasswordResetRequest.self, context: context, limit: bodyLimit)
            // Always 202, whether or not the address has an account (no account enumeration).
            try await accounts.requestPasswordReset(email: body.email, origin: context.origin(request, region: region))
            return Response(status: .accepted)
        }
        router.post("v1/password-resets/confirm") { request, context in
            let body = try await request.decodeJSON(PasswordResetConfirmation.self, context: context, limit: bodyLimit)
            try await accounts.confirmPasswordReset(
                token: body.token, newPassword: body.newPassword, origin: context.origin(request, region: region))
            return Response(status: .noContent)
        }
    }
}
