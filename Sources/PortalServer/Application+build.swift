import Accounts
import AccountsPostgres
import Failover
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The long-lived parts of a portal, built once from its configuration: database clients, token keys and the
/// account service. The application and the admin commands share them.
public struct PortalServices: Sendable {
    public let configuration: PortalConfiguration
    public let accounts: AccountService
    /// The account store behind `accounts`, for what runs beside the requests (outbox delivery).
    public let store: PostgresAccountStore
    /// Where the outbox is delivered, when `mail-spool` is set.
    public let mailSpool: MailSpool?
    public let reader: PostgresClient
    public let writer: PostgresClient
    public let metrics: PortalMetrics
    /// `host:port` of the writer endpoint, for `/health/region`.
    public let writerEndpoint: String
    /// The write lease every write checks.
    public let writeLease: WriteLease
    /// The region's replay position, shared by every request waiting for a consistency token.
    public let replayWatcher: ReplayWatcher
    /// The internal listener's port once it listens (`internal-port: 0` picks any).
    public let internalPort = BoundPort()

    /// Validates the configuration and builds the parts; nothing connects until the clients run.
    public static func make(
        configuration: PortalConfiguration, logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        loginGuard: LoginGuard<ContinuousClock>? = nil
    ) async throws -> PortalServices {
        try configuration.validate()
        let urls = try configuration.resolvedDatabaseURLs
        let reader = PostgresClient(
            configuration: urls.reader.clientConfiguration(maximumConnections: configuration.databasePoolSize),
            backgroundLogger: logger)
        var writer = reader
        if urls.writer != urls.reader {
            writer = PostgresClient(
                configuration: urls.writer.clientConfiguration(maximumConnections: configuration.databasePoolSize),
                backgroundLogger: logger)
        }
        let metrics = PortalMetrics()
        metrics.recordPool(name: "reader", maximumConnections: configuration.databasePoolSize)
        metrics.recordPool(name: "writer", maximumConnections: writer === reader ? 0 : configuration.databasePoolSize)
        let tokens = try await AccessTokens(
            keySet: configuration.signingKeys!, issuer: configuration.issuer, audience: configuration.audience,
            lifetime: configuration.accessTokenLifetime)
        let writeLease = WriteLease(required: !configuration.writeLeaseURL.isEmpty)
        var serviceConfiguration = AccountService.Configuration(region: configuration.region)
        serviceConfiguration.refreshTokenLifetime = configuration.refreshTokenLifetime
        serviceConfiguration.sessionLifetime = configuration.sessionLifetime
        serviceConfiguration.refreshGraceWindow = configuration.refreshGraceWindow
        let store = PostgresAccountStore(
            reader: reader, writer: writer, criticalWritesRemoteApply: configuration.criticalWritesRemoteApply,
            operationTimeout: configuration.databaseTimeout, writeGate: { writeLease.permission() },
            logger: logger)
        let accounts = try await AccountService(
            configuration: serviceConfiguration, store: store,
            hasher: PasswordHasher(cost: UInt8(configuration.bcryptCost)), tokens: tokens,
            loginGuard: loginGuard ?? configuration.makeLoginGuard(), sharedGuessLedger: store, now: now, logger: logger
        )
        let spool =
            try configuration.mailSpool.isEmpty
            ? nil : MailSpool(directory: configuration.mailSpool, from: configuration.mailFrom)
        return PortalServices(
            configuration: configuration, accounts: accounts, store: store, mailSpool: spool, reader: reader,
            writer: writer, metrics: metrics,
            writerEndpoint: "\(urls.writer.host):\(urls.writer.port)", writeLease: writeLease,
            replayWatcher: ReplayWatcher(reader: reader, writer: writer, logger: logger))
    }

    /// The distinct database clients, which must run for queries to go through.
    public var clients: [PostgresClient] { writer === reader ? [reader] : [reader, writer] }

    /// Runs the database clients around `body`, for commands that need the database without a server.
    public func withRunningClients<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            for client in clients {
                group.addTask {
                    await client.run(); return nil
                }
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}

/// The port a listener bound, known once it listens.
public final class BoundPort: Sendable {
    private let port = Mutex<Int?>(nil)
    public init() {}
    public var value: Int? { port.withLock { $0 } }
    func set(_ value: Int) { port.withLock { $0 = value } }
}

/// The middleware every listener runs, outermost first, and the router they wrap.
private func makeRouter(services: PortalServices) -> Router<PortalRequestContext> {
    let configuration = services.configuration
    let router = Router(context: PortalRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: ClientAddressMiddleware(trustedProxies: configuration.trustedProxies))
    router.add(middleware: AccessLogMiddleware(metrics: services.metrics))
    router.add(middleware: ProblemMiddleware())
    router.add(
        middleware: ConsistencyMiddleware(
            watcher: services.replayWatcher, separateWriter: services.writer !== services.reader,
            waitBound: configuration.consistencyWait))
    return router
}

private func healthRoutes(services: PortalServices, logger: Logger) -> HealthRoutes {
    HealthRoutes(
        reader: services.reader, writer: services.writer, writerEndpoint: services.writerEndpoint,
        region: services.configuration.region, writeLease: services.writeLease,
        timeout: services.configuration.healthTimeout,
        logger: logger)
}

/// The public listener's routes and middleware: the customer API, `/health/live` and `/health/ready` (what the edge
/// and a load balancer probe), the signing keys and this API's description; the admin API unless
/// `adminOnInternal`.
public func buildRouter(services: PortalServices, logger: Logger) -> Router<PortalRequestContext> {
    let configuration = services.configuration
    let router = makeRouter(services: services)
    let open = router.group()
    let authenticated = router.group().add(middleware: AuthenticationMiddleware(accounts: services.accounts))
    let region = configuration.region
    let limit = configuration.maximumBodySize
    AccountRoutes(accounts: services.accounts, region: region, bodyLimit: limit)
        .register(public: open, authenticated: authenticated)
    SessionRoutes(accounts: services.accounts, metrics: services.metrics, region: region, bodyLimit: limit)
        .register(public: open, authenticated: authenticated)
    PasswordResetRoutes(accounts: services.accounts, region: region, bodyLimit: limit).register(public: open)
    if !configuration.adminOnInternal {
        AdminRoutes(accounts: services.accounts, region: region).register(authenticated: authenticated)
    }
    healthRoutes(services: services, logger: logger).registerPublic(on: open)
    DiscoveryRoutes(tokens: services.accounts.tokens, metrics: services.metrics).register(on: open)
    if configuration.developmentMailbox {
        DevelopmentMailboxRoutes(accounts: services.accounts).register(on: open)
    }
    return router
}

/// The internal listener's routes: `/metrics`, `/health/region` and `/health/lease` (besides live and ready, for the
/// same probes from inside), and the admin API with `adminOnInternal`. Nothing here is reachable through the edge.
public func buildInternalRouter(services: PortalServices, logger: Logger) -> Router<PortalRequestContext> {
    let router = makeRouter(services: services)
    let open = router.group()
    let health = healthRoutes(services: services, logger: logger)
    health.registerPublic(on: open)
    health.registerInternal(on: open)
    DiscoveryRoutes(tokens: services.accounts.tokens, metrics: services.metrics).registerMetrics(on: open)
    if services.configuration.adminOnInternal {
        let authenticated = router.group().add(middleware: AuthenticationMiddleware(accounts: services.accounts))
        AdminRoutes(accounts: services.accounts, region: services.configuration.region)
            .register(authenticated: authenticated)
    }
    return router
}

/// The internal listener as a service of the public application: it starts, and ends on graceful shutdown, with it.
func buildInternalApplication(services: PortalServices, logger: Logger) -> some Service {
    let configuration = services.configuration
    let bound = services.internalPort
    return Application(
        router: buildInternalRouter(services: services, logger: logger),
        configuration: .init(
            address: .hostname(configuration.internalHost, port: configuration.internalPort), serverName: nil),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.internalPort
            bound.set(port)
            logger.notice(
                "internal listener (metrics, region health, lease\(configuration.adminOnInternal ? ", admin" : ""))",
                metadata: ["address": "\(configuration.internalHost):\(port)"])
        },
        logger: logger)
}

/// Builds the portal's HTTP application: routes, middleware, the database clients as services, and the
/// migrations applied before the server starts listening.
public func buildApplication(services: PortalServices, logger: Logger) -> some ApplicationProtocol {
    LocalTimeZone.pin()
    let configuration = services.configuration
    var background: [any Service] = services.clients
    background.append(buildInternalApplication(services: services, logger: logger))
    background.append(OutboxDelivery(store: services.store, spool: services.mailSpool, logger: logger))
    if services.mailSpool == nil && !configuration.developmentMailbox {
        logger.warning(
            "no mail-spool: e-mail (verification, reset, notices) is not delivered, and is purged after a day")
    }
    if services.writeLease.required {
        background.append(
            WriteLeaseKeeper(
                lease: services.writeLease, controllerURLs: configuration.writeLeaseURLs,
                token: configuration.writeLeaseToken,
                publicKey: LeaseSignature.publicKey(base64: configuration.writeLeasePublicKey),
                maximum: configuration.writeLeaseMaximum, region: configuration.region,
                logger: logger))
    }
    var app = Application(
        router: buildRouter(services: services, logger: logger),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
        services: background,
        logger: logger)
    let writer = services.writer
    app.beforeServerStarts {
        try await Migrations.apply(on: writer, logger: logger)
    }
    return app
}

/// Builds the application straight from a configuration.
public func buildApplication(configuration: PortalConfiguration, logger: Logger) async throws
    -> some ApplicationProtocol
{
    buildApplication(
        services: try await PortalServices.make(configuration: configuration, logger: logger), logger: logger)
}
