import Accounts
import AccountsPostgres
import Failover
import Foundation
import Yams

/// Everything a portal needs to run. Every field has a default except the database and the keys; values come
/// from, in rising precedence, an optional YAML file, `PORTAL_*` environment variables, and command-line flags.
public struct PortalConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// The internal listener, for Prometheus, the control plane and operators, never routed by the edge or a
    /// public load balancer: `/metrics`, `/health/region`, `/health/lease`, and the admin API with `adminOnInternal`.
    public var internalHost: String = "127.0.0.1"
    /// The internal listener's port (0: any free port, which the log names).
    public var internalPort: Int = 9100
    /// Serves the admin API (`/v1/admin/...`) on the internal listener only (404 on the public one).
    public var adminOnInternal: Bool = false
    /// The region this portal runs in; carried in tokens, audit events and health answers.
    public var region: String = "local"
    /// The region's own database (reads).
    public var databaseURL: String = ""
    /// The writer endpoint (the current primary); the region's own database when empty.
    public var writerDatabaseURL: String = ""
    /// A password filled into both database URLs when they carry none (kept out of URLs in task definitions).
    public var databasePassword: String = ""
    public var databasePoolSize: Int = 20
    /// How long a request waits for the database before it fails with 503.
    public var databaseTimeout: Duration = .seconds(5)
    /// How long a read with a consistency token waits for this region's database to replay it before it is
    /// served from the writer instead.
    public var consistencyWait: Duration = .seconds(1)
    /// How long `/health/ready` and `/health/region` wait for each database query before they report it
    /// unreachable: short, so a probe gets an answer before its own timeout.
    public var healthTimeout: Duration = .seconds(1)
    /// The signing keys, as key-file JSON (`customer-portal keys generate`).
    public var signingKeys: SigningKeySet? = nil
    public var bcryptCost: Int = 12
    public var accessTokenLifetime: Duration = .seconds(15 * 60)
    public var refreshTokenLifetime: Duration = .seconds(30 * 24 * 3600)
    /// The absolute lifetime of a session: refreshing never takes it past this much after its login.
    public var sessionLifetime: Duration = .seconds(90 * 24 * 3600)
    /// How long after a refresh the same (already rotated) refresh token gets the same new pair again, when the
    /// new one has not been used: the retry of a client whose answer was lost. Later, it revokes the session.
    public var refreshGraceWindow: Duration = .seconds(10)
    public var issuer: String = "customer-portal"
    public var audience: String = "customer-portal"
    /// A maildir the outbox is delivered into (a mail transfer agent sends from it); each delivered message leaves
    /// the database. Empty: nothing delivers, and messages are purged after a day.
    public var mailSpool: String = ""
    /// The `From` of delivered mail.
    public var mailFrom: String = "CustomerPortal <no-reply@customer-portal.invalid>"
    /// Serves `GET /dev/outbox`, which shows pending e-mails with their tokens. Never in production.
    public var developmentMailbox: Bool = false
    /// Critical writes wait for a standby to apply them (`synchronous_commit = remote_apply`).
    public var criticalWritesRemoteApply: Bool = false
    /// Largest accepted request body.
    public var maximumBodySize: Int = 64 * 1024
    /// The controller's base URL. When set, the portal writes only while the controller's answer allows it
    /// (a running write lease in the primary region, or a standby region): DESIGN.md invariant 1.
    public var writeLeaseURL: String = ""
    /// The control plane's bearer token, sent with every lease request (`write-lease-token`; better given by the
    /// `PORTAL_WRITE_LEASE_TOKEN` environment variable than on the command line).
    public var writeLeaseToken: String = ""
    /// The control plane's Ed25519 public key (base64 raw): when set, only lease answers it signed, for this
    /// portal's own request, count (`write-lease-public-key`).
    public var writeLeasePublicKey: String = ""
    /// The longest lease this portal accepts, whatever an answer says (`write-lease-maximum`).
    public var writeLeaseMaximum: Duration = .seconds(5)
    /// The control-plane replicas to ask for the lease, in order (`write-lease-url` is a comma-separated list: the
    /// portal's own region's replica first).
    public var writeLeaseURLs: [String] {
        writeLeaseURL.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
    /// The proxies whose `X-Forwarded-For` names the client (the edge, a load balancer's subnets). Empty trusts
    /// no one: behind a proxy every customer then shares the proxy's address in throttles and the audit log.
    public var trustedProxies = TrustedProxies()
    /// The first lock-out after the free failures (per account 5, per client address 20); each further failure
    /// doubles it, up to 15 minutes (as Keycloak's `waitIncrementSeconds`).
    public var loginLockoutBase: Duration = .seconds(1)

    public init() {}

    /// The login guard of this configuration: the standard allowances with `loginLockoutBase`.
    public func makeLoginGuard() -> LoginGuard<ContinuousClock> {
        func limits(_ standard: ThrottleLimits) -> ThrottleLimits {
            ThrottleLimits(
                freeFailures: standard.freeFailures, baseDelay: loginLockoutBase,
                maximumDelay: standard.maximumDelay, forgetAfter: standard.forgetAfter)
        }
        return LoginGuard(
            clock: ContinuousClock(), accountLimits: limits(.perAccount), addressLimits: limits(.perClientAddress))
    }

    /// Rejects a bad value with the name of its key.
    public func validate() throws(ConfigurationError) {
        guard (0...65535).contains(port) else {
            throw .init(key: "port", "must be 0–65535 (0: any free port), got \(port)")
        }
        guard (0...65535).contains(internalPort) else {
            throw .init(key: "internal-port", "must be 0–65535 (0: any free port), got \(internalPort)")
        }
        guard internalPort == 0 || internalPort != port || internalHost != host else {
            throw .init(key: "internal-port", "must differ from port (\(port)): the internal listener is a second one")
        }
        guard !internalHost.isEmpty else { throw .init(key: "internal-host", "must not be empty") }
        guard !mailFrom.isEmpty, !mailFrom.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw .init(key: "mail-from", "must be one line, such as 'Name <address>'")
        }
        guard !region.isEmpty, region.count <= 64, region.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
        else { throw .init(key: "region", "must be letters, digits and dashes, got '\(region)'") }
        do { _ = try DatabaseURL(databaseURL) } catch {
            throw .init(key: "database-url", databaseURL.isEmpty ? "is required" : error.message)
        }
        if !writerDatabaseURL.isEmpty {
            do { _ = try DatabaseURL(writerDatabaseURL) } catch {
                throw .init(key: "writer-database-url", error.message)
            }
        }
        guard (1...500).contains(databasePoolSize) else {
            throw .init(key: "database-pool-size", "must be 1–500, got \(databasePoolSize)")
        }
        guard databaseTimeout >= .milliseconds(100), databaseTimeout <= .seconds(120) else {
            throw .init(key: "database-timeout", "must be between 100ms and 120s")
        }
        guard consistencyWait <= .seconds(30) else { throw .init(key: "consistency-wait", "must be at most 30s") }
        guard healthTimeout >= .milliseconds(100), healthTimeout <= .seconds(30) else {
            throw .init(key: "health-timeout", "must be between 100ms and 30s")
        }
        guard signingKeys != nil else {
            throw .init(key: "key-file", "signing keys are required (customer-portal keys generate)")
        }
        guard (4...31).contains(bcryptCost) else { throw .init(key: "bcrypt-cost", "must be 4–31, got \(bcryptCost)") }
        guard accessTokenLifetime >= .seconds(10), accessTokenLifetime <= .seconds(24 * 3600) else {
            throw .init(key: "access-token-lifetime", "must be between 10s and 24h")
        }
        guard refreshTokenLifetime >= accessTokenLifetime else {
            throw .init(key: "refresh-token-lifetime", "must not be shorter than the access-token lifetime")
        }
        guard sessionLifetime >= accessTokenLifetime else {
            throw .init(key: "session-lifetime", "must not be shorter than the access-token lifetime")
        }
        guard refreshGraceWindow >= .zero, refreshGraceWindow <= .seconds(60) else {
            throw .init(key: "refresh-grace-window", "must be between 0s and 60s")
        }
        guard (1024...(16 * 1024 * 1024)).contains(maximumBodySize) else {
            throw .init(key: "maximum-body-size", "must be 1 KiB–16 MiB")
        }
        guard loginLockoutBase >= .milliseconds(100), loginLockoutBase <= .seconds(900) else {
            throw .init(key: "login-lockout-base", "must be between 100ms and 15m")
        }
        if !writeLeasePublicKey.isEmpty, LeaseSignature.publicKey(base64: writeLeasePublicKey) == nil {
            throw .init(key: "write-lease-public-key", "must be an Ed25519 public key, 32 bytes in base64")
        }
        guard writeLeaseMaximum >= .milliseconds(100), writeLeaseMaximum <= .seconds(600) else {
            throw .init(key: "write-lease-maximum", "must be between 100ms and 10m")
        }
        for text in writeLeaseURLs {
            guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw .init(
                    key: "write-lease-url",
                    "must be a URL like http://127.0.0.1:7000 (or several, comma-separated), got '\(text.prefix(80))'")
            }
        }
    }

    /// What `serve` needs besides `validate()`: a bcrypt cost of at least 10, unless the development mailbox is
    /// on (a lab or a laptop, which is never production). Tests and `dev` may go lower to run fast.
    public func validateForServing() throws(ConfigurationError) {
        guard bcryptCost >= 10 || developmentMailbox else {
            throw .init(
                key: "bcrypt-cost",
                "must be at least 10 to serve, got \(bcryptCost) (lower only with development-mailbox, never in production)"
            )
        }
    }

    /// Applies `key: value` settings, as found in the YAML file and (upper-cased, `PORTAL_` prefix) in the
    /// environment. Unknown keys and bad values are errors that name the key.
    public mutating func apply(_ settings: [String: String], source: String) throws(ConfigurationError) {
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
            do {
                try apply(key: key, value: value)
            } catch {
                throw ConfigurationError(key: key, "\(error.message) (from \(source))")
            }
        }
    }

    mutating func apply(key: String, value: String) throws(ConfigurationError) {
        switch key {
        case "host": host = value
        case "port": port = try Self.integer(value, key)
        case "internal-host": internalHost = value
        case "internal-port": internalPort = try Self.integer(value, key)
        case "admin-on-internal": adminOnInternal = try Self.boolean(value, key)
        case "mail-spool": mailSpool = value
        case "mail-from": mailFrom = value
        case "region": region = value
        case "database-url": databaseURL = value
        case "writer-database-url": writerDatabaseURL = value
        case "database-password": databasePassword = value
        case "database-pool-size": databasePoolSize = try Self.integer(value, key)
        case "database-timeout": databaseTimeout = try Self.duration(value, key)
        case "consistency-wait": consistencyWait = try Self.duration(value, key)
        case "health-timeout": healthTimeout = try Self.duration(value, key)
        case "signing-keys":
            do { signingKeys = try SigningKeySet.decode(Data(value.utf8)) } catch {
                throw .init(key: key, error.detail)
            }
        case "key-file":
            guard let data = FileManager.default.contents(atPath: value) else {
                throw .init(key: key, "cannot read '\(value)'")
            }
            do { signingKeys = try SigningKeySet.decode(data) } catch { throw .init(key: key, error.detail) }
        case "bcrypt-cost": bcryptCost = try Self.integer(value, key)
        case "access-token-lifetime": accessTokenLifetime = try Self.duration(value, key)
        case "refresh-token-lifetime": refreshTokenLifetime = try Self.duration(value, key)
        case "session-lifetime": sessionLifetime = try Self.duration(value, key)
        case "refresh-grace-window": refreshGraceWindow = try Self.duration(value, key)
        case "issuer": issuer = value
        case "audience": audience = value
        case "development-mailbox": developmentMailbox = try Self.boolean(value, key)
        case "critical-writes-remote-apply": criticalWritesRemoteApply = try Self.boolean(value, key)
        case "maximum-body-size": maximumBodySize = try Self.integer(value, key)
        case "write-lease-url": writeLeaseURL = value
        case "write-lease-token": writeLeaseToken = value
        case "write-lease-public-key": writeLeasePublicKey = value
        case "write-lease-maximum": writeLeaseMaximum = try Self.duration(value, key)
        case "trusted-proxies": trustedProxies = try TrustedProxies(parsing: value)
        case "login-lockout-base": loginLockoutBase = try Self.duration(value, key)
        default: throw .init(key: key, "is not a known setting")
        }
    }

    /// The `PORTAL_*` variables of an environment that name a setting (`PORTAL_DATABASE_URL` → `database-url`).
    /// Other `PORTAL_*` variables (such as `PORTAL_ADMIN_PASSWORD`) are not settings and are left alone.
    public static func settings(fromEnvironment environment: [String: String]) -> [String: String] {
        var settings: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix("PORTAL_") {
            let key = name.dropFirst("PORTAL_".count).lowercased().replacingOccurrences(of: "_", with: "-")
            if knownKeys.contains(key) { settings[key] = value }
        }
        return settings
    }

    /// Every settings key.
    public static let knownKeys: Set<String> = [
        "host", "port", "region", "database-url", "writer-database-url", "database-password", "database-pool-size",
        "database-timeout", "consistency-wait", "health-timeout", "signing-keys", "key-file", "bcrypt-cost",
        "access-token-lifetime",
        "refresh-token-lifetime", "issuer", "audience", "development-mailbox", "critical-writes-remote-apply",
        "maximum-body-size", "write-lease-url", "write-lease-token", "write-lease-public-key", "write-lease-maximum",
        "trusted-proxies",
        "login-lockout-base", "session-lifetime", "refresh-grace-window", "internal-host", "internal-port",
        "admin-on-internal", "mail-spool", "mail-from",
    ]

    /// The reader and writer URLs with `databasePassword` filled in where they have no password.
    public var resolvedDatabaseURLs: (reader: DatabaseURL, writer: DatabaseURL) {
        get throws {
            var reader = try DatabaseURL(databaseURL)
            var writer = writerDatabaseURL.isEmpty ? reader : try DatabaseURL(writerDatabaseURL)
            if !databasePassword.isEmpty {
                if reader.password == nil { reader.password = databasePassword }
                if writer.password == nil { writer.password = databasePassword }
            }
            return (reader, writer)
        }
    }

    /// The settings of a YAML file: a flat mapping of keys to scalars.
    public static func settings(fromYAMLFile path: String) throws(ConfigurationError) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else { throw .init(key: "config", "cannot read '\(path)'") }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw .init(key: "config", "'\(path)' is not valid YAML: \(error)")
        }
        guard let mapping = node?.mapping else { throw .init(key: "config", "'\(path)' must be a mapping of settings") }
        var settings: [String: String] = [:]
        for (key, value) in mapping {
            guard let key = key.string, let scalar = value.scalar else {
                throw .init(key: key.string ?? "?", "must be a scalar value (line \(value.mark?.line ?? 0))")
            }
            settings[key] = scalar.string
        }
        return settings
    }

    static func integer(_ value: String, _ key: String) throws(ConfigurationError) -> Int {
        guard let number = Int(value) else { throw .init(key: key, "must be a whole number, got '\(value)'") }
        return number
    }

    static func boolean(_ value: String, _ key: String) throws(ConfigurationError) -> Bool {
        switch value.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw .init(key: key, "must be true or false, got '\(value)'")
        }
    }

    /// Parses `15m`, `900s`, `30d`, `250ms`, `1h`.
    public static func duration(_ value: String, _ key: String) throws(ConfigurationError) -> Duration {
        guard let duration = Duration(text: value) else {
            throw .init(key: key, "must be a duration such as 15m, 30s or 250ms, got '\(value)'")
        }
        return duration
    }
}

/// A configuration value that is missing or wrong, named by its key.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var key: String
    public var message: String

    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "\(key): \(message)" }
}
