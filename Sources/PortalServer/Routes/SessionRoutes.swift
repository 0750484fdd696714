import Accounts
import Foundation
import Hummingbird
import Logging

/// Login, refresh, the list of sessions and logout.
struct SessionRoutes {
    let accounts: AccountService
    let metrics: PortalMetrics
    let region: String
    let bodyLimit: Int

    func register(public router: RouterGroup<PortalRequestContext>, authenticated: RouterGroup<PortalRequestContext>) {
        router.post("v1/sessions") { request, context in
            let body = try await request.decodeJSON(LoginRequest.self, context: context, limit: bodyLimit)
            do {
                let pair = try await accounts.logIn(
                    email: body.email, password: body.password, origin: context.origin(request, region: region))
                metrics.recordLogin(outcome: "success")
                return JSONResponse(headers: [.cacheControl: "no-store"], TokenBody(pair))
            } catch let error as AccountsError {
                // A line per failed login (no address, no password) for log-based alarms.
                context.logger.notice("login failed", metadata: ["outcome": "\(error.code.rawValue)"])
                switch error.code {
                case .tooManyAttempts: metrics.recordLogin(outcome: "throttled")
                case .accountDisabled: metrics.recordLogin(outcome: "disabled")
                case .overloaded: metrics.recordLogin(outcome: "shed")
                case .invalidCredentials: metrics.recordLogin(outcome: "failure")
                default: metrics.recordLogin(outcome: "error")
                }
                throw error
            }
        }
        router.post("v1/sessions/refresh") { request, context in
            let body = try await request.decodeJSON(RefreshRequest.self, context: context, limit: bodyLimit)
            let pair = try await accounts.refresh(body.refreshToken, origin: context.origin(request, region: region))
            return JSONResponse(headers: [.cacheControl: "no-store"], TokenBody(pair))
        }
        authenticated.get("v1/sessions") { _, context in
            let principal = try context.requirePrincipal()
            let sessions = try await accounts.sessions(of: principal)
            return JSONResponse(
                SessionsBody(
                    sessions: sessions.map {
                        SessionBody(
                            id: $0.id.uuidString.lowercased(), createdAt: $0.createdAt, lastUsedAt: $0.lastUsedAt,
                            expiresAt: $0.expiresAt, userAgent: $0.userAgent, region: $0.region,
                            current: $0.id == principal.sessionID)
                    }))
        }
        authenticated.delete("v1/sessions/current") { request, context in
            try await accounts.logOut(
                try context.requirePrincipal(), everywhere: false, origin: context.origin(request, region: region))
            return Response(status: .noContent)
        }
        authenticated.delete("v1/sessions") { request, context in
            try await accounts.logOut(
                try context.requirePrincipal(), everywhere: true, origin: context.origin(request, region: region))
            return Response(status: .noContent)
        }
    }
}
