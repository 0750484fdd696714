import Accounts
import Foundation
import Hummingbird

/// Administration: list accounts, disable and enable them, read the audit log. Admin role required.
struct AdminRoutes {
    let accounts: AccountService
    let region: String

    func register(authenticated router: RouterGroup<PortalRequestContext>) {
        router.get("v1/admin/accounts") { request, context in
            let query = request.uri.queryParameters
            let text = query["query"].map(String.init)
            if let text, text.count > 254 || text.containsControlCharacters {
                throw AccountsError(
                    .validationFailed, "The query is too long or holds control characters.",
                    fieldErrors: [
                        .init(field: "query", message: "must be at most 254 characters, without control characters")
                    ])
            }
            let page = try await accounts.listAccounts(
                try context.requirePrincipal(), query: text, cursor: query["cursor"].map(String.init),
                limit: try Self.limit(query["limit"]))
            return JSONResponse(
                AccountsPageBody(accounts: page.items.map(AccountBody.init), nextCursor: page.nextCursor))
        }
        router.post("v1/admin/accounts/{id}/disable") { request, context in
            try await setDisabled(true, request: request, context: context)
        }
        router.post("v1/admin/accounts/{id}/enable") { request, context in
            try await setDisabled(false, request: request, context: context)
        }
        router.get("v1/admin/audit") { request, context in
            let query = request.uri.queryParameters
            let accountID = try query["account"].map { text in
                guard let id = UUID(uuidString: String(text)) else {
                    throw AccountsError(
                        .validationFailed, "The account filter is not an account id.",
                        fieldErrors: [.init(field: "account", message: "must be a UUID")])
                }
                return id
            }
            let page = try await accounts.auditLog(
                try context.requirePrincipal(), accountID: accountID, cursor: query["cursor"].map(String.init),
                limit: try Self.limit(query["limit"]))
            return JSONResponse(AuditPageBody(events: page.items.map(AuditEventBody.init), nextCursor: page.nextCursor))
        }
    }

    private func setDisabled(_ disabled: Bool, request: Request, context: PortalRequestContext) async throws
        -> JSONResponse<AccountBody>
    {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw AccountsError(.notFound, "No account has that id.")
        }
        let account = try await accounts.setDisabled(
            try context.requirePrincipal(), accountID: id, disabled: disabled,
            origin: context.origin(request, region: region))
        return JSONResponse(AccountBody(account))
    }

    /// The page size: 1–200, 50 by default.
    static func limit(_ text: Substring?) throws -> Int {
        guard let text else { return 50 }
        guard let limit = Int(text), (1...200).contains(limit) else {
            throw AccountsError(
                .validationFailed, "The page size is out of range.",
                fieldErrors: [.init(field: "limit", message: "must be a whole number from 1 to 200")])
        }
        return limit
    }
}
