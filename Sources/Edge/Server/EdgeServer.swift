import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The edge as one service: the entry listener, the per-location listeners, the health checker and the admin
/// API, composed as Hummingbird applications. `run()` stops on SIGTERM/SIGINT; embed `makeApplication()` (a
/// `Service`) in another `ServiceGroup` to run the edge inside a bigger process such as the lab.
public struct EdgeServer: Sendable {
    public let configuration: EdgeConfiguration
    /// The live endpoint groups; the admin API and the health checker change them.
    public let state: EdgeState
    public let metrics: EdgeMetrics
    private let ports: ListenerPorts
    private let logger: Logger

    /// Validates the configuration (the error names the bad key) and prepares the edge; nothing listens yet.
    public init(configuration: EdgeConfiguration, logger: Logger) throws(EdgeError) {
        try configuration.validate()
        self.configuration = configuration
        self.state = EdgeState(configuration: configuration)
        self.metrics = EdgeMetrics()
        self.ports = ListenerPorts(
            expectsAdmin: configuration.adminToken != nil,
            locations: configuration.locationListeners.map(\.location))
        self.logger = logger
    }

    /// Runs the edge until SIGTERM or SIGINT.
    public static func run(configuration: EdgeConfiguration, logger: Logger) async throws {
        try await EdgeServer(configuration: configuration, logger: logger).makeApplication().runService()
    }

    /// The bound ports, once every listener is up.
    public func addresses() async -> EdgeAddresses { await ports.addresses() }

    /// The whole edge as one Hummingbird application whose services are the other listeners, the health
    /// checker and the HTTP clients' shutdown. Call it once: it creates the connection pools, which the
    /// application shuts down when it stops.
    public func makeApplication() -> some ApplicationProtocol {
        let proxyClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: proxyClientConfiguration)
        var healthClientConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64(configuration.healthCheck.timeoutMilliseconds))))
        healthClientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 2
        let healthClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: healthClientConfiguration)

        var services: [any Service] = [HTTPClientShutdown(clients: [proxyClient, healthClient])]
        services.append(
            HealthChecker(
                state: state, configuration: configuration.healthCheck, client: healthClient, metrics: metrics,
                logger: logger))
        if let token = configuration.adminToken {
            let routes = AdminRoutes(
                state: state, metrics: metrics, primaryRegion: configuration.effectivePrimaryRegion)
            let ports = self.ports
            services.append(
                Application(
                    router: routes.router(token: token),
                    configuration: .init(address: .hostname(configuration.adminHost, port: configuration.adminPort)),
                    onServerRunning: { ports.adminBound($0.localAddress?.port ?? 0) },
                    logger: logger))
        }
        for listener in configuration.locationListeners {
            let ports = self.ports
            services.append(
                Application(
                    responder: proxy(client: proxyClient, location: listener.location),
                    configuration: .init(address: .hostname(configuration.host, port: listener.port)),
                    onServerRunning: { ports.locationBound(listener.location, port: $0.localAddress?.port ?? 0) },
                    logger: logger))
        }
        let ports = self.ports
        return Application(
            responder: proxy(client: proxyClient, location: nil),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            services: services,
            onServerRunning: { ports.entryBound($0.localAddress?.port ?? 0) },
            logger: logger)
    }

    private var proxyClientConfiguration: HTTPClient.Configuration {
        var client = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64(configuration.connectTimeoutMilliseconds))),
            decompression: .disabled)
        client.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = configuration.connectionsPerEndpoint
        client.connectionPool.idleTimeout = .seconds(60)
        return client
    }

    private func proxy(client: HTTPClient, location: String?) -> ReverseProxy {
        ReverseProxy(
            state: state, selector: RegionSelector(latencies: configuration.latencies), client: client,
            metrics: metrics, configuration: configuration, listenerLocation: location, logger: logger)
    }
}
