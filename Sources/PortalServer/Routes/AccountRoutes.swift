import Accounts
import Foundation
import Hummingbird

/// Sign-up, the customer's own account, password and e-mail changes, and e-mail verification.
struct AccountRoutes {
    let accounts: AccountService
    let region: String
    let bodyLimit: Int

    func register(public router: RouterGroup<PortalRequestContext>, authenticated: RouterGroup<PortalRequestContext>) {
        router.post("v1/accounts") { request, context in
            let body = try await request.decodeJSON(SignUpRequest.self, context: context, limit: bodyLimit)
            let account = try await accounts.signUp(
                email: body.email, password: body.password, displayName: body.displayName,
                origin: context.origin(request, region: region))
            return JSONResponse(
                status: .created, headers: [.location: "/v1/me"], AccountBody(account))
        }
        router.post("v1/email-verifications") { request, context in
            let body = try await request.decodeJSON(TokenRequest.self, context: context, limit: bodyLimit)
            let account = try await accounts.verifyEmail(
                token: body.token, origin: context.origin(request, region: region))
            return JSONResponse(AccountBody(account))
        }
        authenticated.get("v1/me") { _, context in
            JSONResponse(AccountBody(try context.requirePrincipal().account))
        }
        authenticated.patch("v1/me") { request, context in
            let body = try await request.decodeJSON(ProfileUpdateRequest.self, context: context, limit: bodyLimit)
            let account = try await accounts.updateProfile(
                try context.requirePrincipal(), displayName: body.displayName,
                origin: context.origin(request, region: region))
            return JSONResponse(AccountBody(account))
        }
        authenticated.delete("v1/me") { request, context in
            let body = try await request.decodeJSON(PasswordConfirmation.self, context: context, limit: bodyLimit)
            try await accounts.deleteAccount(
                try context.requirePrincipal(), password: body.password, origin: context.origin(request, region: region)
            )
            return Response(status: .noContent)
        }
        authenticated.post("v1/me/password") { request, context in
            let body = try await request.decodeJSON(PasswordChangeRequest.self, context: context, limit: bodyLimit)
            try await accounts.changePassword(
                try context.requirePrincipal(), currentPassword: body.currentPassword, newPassword: body.newPassword,
                origin: context.origin(request, region: region))
            return Response(status: .noContent)
        }
        authenticated.post("v1/me/email") { request, context in
            let body = try await request.decodeJSON(EmailChangeRequest.self, context: context, limit: bodyLimit)
            let pending = try await accounts.requestEmailChange(
                try context.requirePrincipal(), newEmail: body.newEmail, password: body.password,
                origin: context.origin(request, region: region))
            return JSONResponse(status: .accepted, PendingEmailBody(pendingEmail: pending.value))
        }
    }
}
