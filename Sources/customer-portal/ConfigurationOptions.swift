import ArgumentParser
import Foundation
import PortalServer

/// The flags every command that talks to the database shares. Precedence: flags, then `PORTAL_*`
/// environment variables, then the optional YAML file.
struct ConfigurationOptions: ParsableArguments {
    @Option(help: "A YAML file of settings (keys as the flags' names).")
    var config: String?
    @Option(help: "Listen address.") var host: String?
    @Option(help: "Listen port.") var port: Int?
    @Option(help: "The internal listener's address (/metrics, /health/region, /health/lease; default 127.0.0.1).")
    var internalHost: String?
    @Option(help: "The internal listener's port (default 9100; 0: any free port).") var internalPort: Int?
    @Flag(help: "Serve the admin API on the internal listener only (404 on the public one).")
    var adminOnInternal = false
    @Option(help: "This portal's region name.") var region: String?
    @Option(help: "The region's own database, postgres://user:password@host:port/db.") var databaseURL: String?
    @Option(help: "The writer endpoint (current primary); defaults to --database-url.") var writerDatabaseURL: String?
    @Option(help: "The signing-key file (customer-portal keys generate).") var keyFile: String?
    @Option(help: "bcrypt cost factor, 4–31.") var bcryptCost: Int?
    @Option(help: "Access-token lifetime, e.g. 15m.") var accessTokenLifetime: String?
    @Option(help: "Refresh-token lifetime, e.g. 30d.") var refreshTokenLifetime: String?
    @Option(help: "The DR controller's URL; when set, writes need its write lease.") var writeLeaseURL: String?
    @Option(
        help: "Proxies whose X-Forwarded-For names the client: CIDR list, e.g. 10.0.0.0/24,127.0.0.1 (default: none).")
    var trustedProxies: String?
    @Option(help: "The first login lock-out after the free failures, doubling up to 15m (default 1s).")
    var loginLockoutBase: String?
    @Option(help: "A maildir to deliver the outbox into (default: none; undelivered mail is purged after a day).")
    var mailSpool: String?
    @Flag(help: "Serve GET /dev/outbox (pending e-mails with their tokens). Never in production.")
    var developmentMailbox = false

    /// The configuration from file, environment and flags, validated.
    func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PortalConfiguration {
        var configuration = PortalConfiguration()
        do {
            if let config {
                try configuration.apply(try PortalConfiguration.settings(fromYAMLFile: config), source: config)
            }
            try configuration.apply(PortalConfiguration.settings(fromEnvironment: environment), source: "environment")
            try configuration.apply(flagSettings, source: "flags")
            try configuration.validate()
        } catch {
            throw ValidationError("\(error)")
        }
        return configuration
    }

    var flagSettings: [String: String] {
        var settings: [String: String] = [:]
        settings["host"] = host
        settings["port"] = port.map(String.init)
        settings["internal-host"] = internalHost
        settings["internal-port"] = internalPort.map(String.init)
        if adminOnInternal { settings["admin-on-internal"] = "true" }
        settings["region"] = region
        settings["database-url"] = databaseURL
        settings["writer-database-url"] = writerDatabaseURL
        settings["key-file"] = keyFile
        settings["bcrypt-cost"] = bcryptCost.map(String.init)
        settings["access-token-lifetime"] = accessTokenLifetime
        settings["refresh-token-lifetime"] = refreshTokenLifetime
        settings["write-lease-url"] = writeLeaseURL
        settings["trusted-proxies"] = trustedProxies
        settings["login-lockout-base"] = loginLockoutBase
        settings["mail-spool"] = mailSpool
        if developmentMailbox { settings["development-mailbox"] = "true" }
        return settings
    }
}
