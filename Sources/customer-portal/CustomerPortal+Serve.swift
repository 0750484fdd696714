import AccountsPostgres
import ArgumentParser
import Hummingbird
import Logging
import PortalServer

extension CustomerPortal {
    /// Runs the HTTP service until SIGTERM or SIGINT; in-flight requests finish first.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the CustomerPortal HTTP service.")
        @OptionGroup var options: ConfigurationOptions
        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: Logger.Level = .info

        func run() async throws {
            let configuration = try options.load()
            do { try configuration.validateForServing() } catch { throw ValidationError("\(error)") }
            var logger = Logger(label: "customer-portal")
            logger.logLevel = logLevel
            logger[metadataKey: "region"] = .string(configuration.region)
            let app = try await buildApplication(configuration: configuration, logger: logger)
            try await app.runService()
        }
    }

    /// Applies pending migrations to the writer and exits.
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply database migrations and exit.")
        @OptionGroup var options: ConfigurationOptions

        func run() async throws {
            let configuration = try options.load()
            let logger = Logger(label: "customer-portal.migrate")
            let services = try await PortalServices.make(configuration: configuration, logger: logger)
            let version = try await services.withRunningClients {
                try await Migrations.apply(on: services.writer, logger: logger)
                return try await Migrations.currentVersion(on: services.writer, logger: logger)
            }
            print("schema at version \(version)")
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
