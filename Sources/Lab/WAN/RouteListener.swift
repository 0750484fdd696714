import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The listening side of a route: accepts connections on 127.0.0.1 and starts a `ProxiedConnection` for each,
/// across the route's current link to its current target.
final class RouteListener: Sendable {
    private struct State {
        var route: WANRoute
        var link: Link
        var connections: [ObjectIdentifier: ProxiedConnection] = [:]
        var serverChannel: (any Channel)?
        var isClosed = false
    }

    private let state: Mutex<State>
    private let configuration: WANEmulator.Configuration
    private let logger: Logger
    /// The emulator's link between two nodes, for routes that learn each connection's sender.
    private let linkBetween: @Sendable (String, String) -> Link?

    private init(
        route: WANRoute, link: Link, configuration: WANEmulator.Configuration, logger: Logger,
        linkBetween: @escaping @Sendable (String, String) -> Link?
    ) {
        self.state = Mutex(State(route: route, link: link))
        self.configuration = configuration
        self.linkBetween = linkBetween
        var logger = logger
        logger[metadataKey: WANLogKey.route] = "\(route.name)"
        self.logger = logger
    }

    /// Binds the route's listener (port 0 picks a free port) and returns it with the bound port in its route.
    static func open(
        route: WANRoute, link: Link, configuration: WANEmulator.Configuration, logger: Logger,
        linkBetween: @escaping @Sendable (String, String) -> Link? = { _, _ in nil }
    ) async throws -> RouteListener {
        let listener = RouteListener(
            route: route, link: link, configuration: configuration, logger: logger, linkBetween: linkBetween)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try listener.accept(channel) }
            }
            .bind(host: "127.0.0.1", port: route.listenPort)
            .get()
        listener.state.withLock {
            $0.serverChannel = channel
            $0.route.listenPort = channel.localAddress?.port ?? route.listenPort
        }
        return listener
    }

    /// The route as it is now.
    var route: WANRoute { state.withLock { $0.route } }

    /// Sends new connections to `host:port` in node `node` across `link`; returns the route and the connections
    /// that were open, which the caller closes.
    func retarget(to node: String, link: Link, host: String, port: Int) -> (WANRoute, [ProxiedConnection]) {
        state.withLock {
            $0.route.to = node
            $0.route.targetHost = host
            $0.route.targetPort = port
            $0.link = link
            return ($0.route, Array($0.connections.values))
        }
    }

    /// Stops accepting and closes every open connection.
    func close() async {
        let (channel, connections) = state.withLock {
            $0.isClosed = true
            return ($0.serverChannel, Array($0.connections.values))
        }
        try? await channel?.close()
        await Self.close(connections)
    }

    /// Closes connections and waits until both sides of each are closed.
    static func close(_ connections: [ProxiedConnection]) async {
        for connection in connections {
            try? await connection.closeNow().get()
        }
    }

    private func accept(_ channel: any Channel) throws {
        if let sources = route.sourceByPeerURL {
            // The sender is known only from its first request: read that before choosing the link.
            let handler = PeerSourceSniffer(sources: sources) { [weak self] node, channel, head in
                guard let self else { return channel.close(promise: nil) }
                do {
                    let connection = try self.connect(channel, from: node)
                    connection.downstreamActive(replaying: head)
                } catch {
                    channel.close(promise: nil)
                }
            }
            try channel.pipeline.syncOperations.addHandler(handler)
            return
        }
        try connect(channel, from: nil)
    }

    /// Starts the proxied connection of an accepted channel, across the route's link, or the link from `node`.
    @discardableResult
    private func connect(_ channel: any Channel, from node: String?) throws -> ProxiedConnection {
        let connection: ProxiedConnection? = state.withLock { state in
            guard !state.isClosed else { return nil }
            let link = node.flatMap { linkBetween($0, state.route.to) } ?? state.link
            let connection = ProxiedConnection(
                downstream: channel, link: link, target: (state.route.targetHost, state.route.targetPort),
                configuration: configuration, logger: logger,
                onFinished: { [weak self] in self?.remove($0) })
            state.connections[ObjectIdentifier(connection)] = connection
            return connection
        }
        guard let connection else { throw ChannelError.ioOnClosedChannel }
        try channel.pipeline.syncOperations.addHandler(LinkProxyHandler(connection: connection, side: .downstream))
        return connection
    }

    private func remove(_ connection: ProxiedConnection) {
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(connection)) }
    }
}
