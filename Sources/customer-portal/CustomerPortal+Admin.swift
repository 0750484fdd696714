import Accounts
import AccountsPostgres
import ArgumentParser
import Foundation
import Logging
import PortalServer

extension CustomerPortal {
    struct Admin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Administrator accounts.", subcommands: [Create.self])
    }
}

extension CustomerPortal.Admin {
    /// Creates an administrator, or promotes an existing account. The password is read from standard input
    /// or `PORTAL_ADMIN_PASSWORD`, never from a flag (flags end up in shell history and process lists).
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an administrator (password from stdin or PORTAL_ADMIN_PASSWORD).")
        @OptionGroup var options: ConfigurationOptions
        @Option(help: "The administrator's e-mail address.") var email: String
        @Option(help: "The administrator's display name.") var displayName: String = "Administrator"

        func run() async throws {
            let configuration = try options.load()
            let environment = ProcessInfo.processInfo.environment
            guard let password = environment["PORTAL_ADMIN_PASSWORD"] ?? readLine(strippingNewline: true),
                !password.isEmpty
            else { throw ValidationError("no password: pipe it on standard input or set PORTAL_ADMIN_PASSWORD") }
            let logger = Logger(label: "customer-portal.admin")
            let services = try await PortalServices.make(configuration: configuration, logger: logger)
            let account = try await services.withRunningClients {
                try await Migrations.apply(on: services.writer, logger: logger)
                do {
                    return try await services.accounts.createAdmin(
                        email: email, password: password, displayName: displayName,
                        origin: RequestOrigin(
                            requestID: "cli", clientAddress: nil, userAgent: "customer-portal admin create",
                            region: configuration.region))
                } catch let error as AccountsError {
                    let fields = error.fieldErrors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")
                    throw ValidationError(fields.isEmpty ? error.detail : fields)
                }
            }
            print("administrator \(account.email) (\(account.id.uuidString.lowercased()))")
        }
    }
}
