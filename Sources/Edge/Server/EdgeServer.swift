import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The edge as one service: the entry listener, the per-location listeners, the health checker and the admin
/// API. `run()` stops on SIGTERM/SIGINT; embed `makeService()` in another `ServiceGroup` to run the edge inside a
/// bigger process such as a test.
public struct EdgeServer: Sendable {
    public let configuration: EdgeConfiguration
    /// The live endpoint groups; the admin API and the health checker change them.
    public let state: EdgeState
    public let metrics: EdgeMetrics
    private let ports: ListenerPorts
    private let logger: Logger
    private let accessLogSink: AccessLogSink

    /// Validates the configuration (the error names the bad key) and prepares the edge; nothing listens yet.
    /// The access log (a line per request at `info`, when `logger`'s level lets it through) goes to
    /// `accessLogSink`, standard error by default, as the logger's other lines do with swift-log's default handler.
    public init(
        configuration: EdgeConfiguration, logger: Logger, accessLogSink: AccessLogSink = .standardError
    ) throws(EdgeError) {
        try configuration.validate()
        self.configuration = configuration
        self.state = EdgeState(configuration: configuration)
        self.metrics = EdgeMetrics()
        self.ports = ListenerPorts(
            expectsAdmin: configuration.adminToken != nil,
            locations: configuration.locationListeners.map(\.location))
        self.logger = logger
        self.accessLogSink = accessLogSink
    }

    /// Runs the edge until SIGTERM or SIGINT.
    public static func run(configuration: EdgeConfiguration, logger: Logger) async throws {
        let edge = try EdgeServer(configuration: configuration, logger: logger).makeService()
        try await ServiceGroup(services: [edge], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }

    /// The bound ports, once every listener is up.
    public func addresses() async -> EdgeAddresses { await ports.addresses() }

    /// The whole edge as one service: the entry and per-location listeners (SwiftNIO proxies sharing one
    /// keep-alive pool per event loop), the health checker and the admin API (a Hummingbird application). Call
    /// it once: it creates the connection pools, which it closes when it stops.
    public func makeService() -> some Service {
        let ownGroup = configuration.eventLoops.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) }
        let group = ownGroup ?? MultiThreadedEventLoopGroup.singleton
        let loops = ProxyLoops(
            group: group, connectTimeout: .milliseconds(Int64(configuration.connectTimeoutMilliseconds)),
            maximumIdlePerEndpoint: configuration.connectionsPerEndpoint,
            accessLog: AccessLog(logger: logger, sink: accessLogSink))
        var healthClientConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64(configuration.healthCheck.timeoutMilliseconds))))
        healthClientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 2
        // A refused connection is a failed probe at once; by default the client retries it until the timeout,
        // which delayed the detection of a crashed endpoint by a whole probe timeout.
        healthClientConfiguration.connectionPool.retryConnectionEstablishment = false
        let healthClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: healthClientConfiguration)

        var services: [any Service] = [
            HTTPClientShutdown(clients: [healthClient]), UpstreamPoolsShutdown(loops: loops),
        ]
        services.append(
            HealthChecker(
                state: state, configuration: configuration.healthCheck, client: healthClient, metrics: metrics,
                logger: logger))
        let ports = self.ports
        if let token = configuration.adminToken {
            let routes = AdminRoutes(
                state: state, metrics: metrics, primaryRegion: configuration.effectivePrimaryRegion)
            services.append(
                Application(
                    router: routes.router(token: token),
                    configuration: .init(address: .hostname(configuration.adminHost, port: configuration.adminPort)),
                    onServerRunning: { ports.adminBound($0.localAddress?.port ?? 0) },
                    logger: logger))
        }
        for listener in configuration.locationListeners {
            services.append(
                ProxyListener(
                    host: configuration.host, port: listener.port, policy: policy(location: listener.location),
                    loops: loops, group: group, onBound: { ports.locationBound(listener.location, port: $0) }))
        }
        services.append(
            ProxyListener(
                host: configuration.host, port: configuration.port, policy: policy(location: nil), loops: loops,
                group: group, onBound: { ports.entryBound($0) }))
        return EdgeServices(services: services, ownGroup: ownGroup)
    }

    private func policy(location: String?) -> ProxyPolicy {
        ProxyPolicy(
            state: state, selector: RegionSelector(latencies: configuration.latencies), metrics: metrics,
            configuration: configuration, listenerLocation: location, logger: logger)
    }
}

/// The edge's services run side by side; each ends on the graceful shutdown of the task that runs them all.
struct EdgeServices: Service {
    let services: [any Service]
    /// The proxy's own event loops (`eventLoops`), shut down once every service has ended.
    let ownGroup: MultiThreadedEventLoopGroup?

    func run() async throws {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for service in services {
                    group.addTask { try await service.run() }
                }
                try await group.waitForAll()
            }
        } catch {
            try? await ownGroup?.shutdownGracefully()
            throw error
        }
        try await ownGroup?.shutdownGracefully()
    }
}
