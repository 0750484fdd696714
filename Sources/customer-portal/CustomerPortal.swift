import ArgumentParser

/// `customer-portal`: the CustomerPortal account service and its maintenance commands.
@main
struct CustomerPortal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer-portal",
        abstract: "CustomerPortal: sign-up, login, tokens and account management.",
        subcommands: [Serve.self, Migrate.self, Keys.self, Admin.self, Dev.self, BcryptRate.self]
    )
}
