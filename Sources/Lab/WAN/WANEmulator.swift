import Logging
import Synchronization

/// The lab's WAN: user-space TCP proxies ("routes") whose traffic crosses links with latency, jitter, loss and
/// partitions that can change at run time (this kernel has no netem).
///
/// Forwarding semantics, per proxied connection:
/// - Latency and jitter: a chunk read from one side is delivered to the other after `latency ± jitter`, drawn
///   when it is read; it is never delivered before the chunk ahead of it in the same direction, so byte order
///   holds. Chunks pipeline (each is due at its own arrival plus delay), so throughput does not collapse.
/// - Loss: TCP cannot lose bytes, so a "lost" chunk is delivered 200 ms late (a retransmission timeout), which
///   holds back the chunks behind it too: loss raises tail latency, as real loss does to a TCP application.
/// - Partition: nothing is delivered either way. New connections are accepted but not connected upstream (the
///   client sees a hang, not a refusal). When the link heals, held data crosses one latency later, as a
///   retransmission would, and waiting connections connect upstream. Memory is bounded by backpressure: a
///   direction stops reading once `maxBufferedBytesPerDirection` are held, so the sender's TCP window fills as in
///   a real cut. A connection whose data or connect is held longer than `holdLimit` is closed (TCP gives up).
/// - Conditions changed at run time apply to chunks read after the change; a partition applies at once.
/// - Close: when one side closes, the other is closed after the data ahead of the close is delivered (no half
///   close). A connection refused by the target is closed on the client side after it was accepted.
public final class WANEmulator: Sendable {
    /// Limits of the emulator; every field has a default.
    public struct Configuration: Sendable {
        /// Bytes a direction of one connection holds before it stops reading from its sender.
        public var maxBufferedBytesPerDirection: Int
        /// How long a connection may wait on a cut link with data (or a connect) held before it is closed.
        public var holdLimit: Duration
        /// Timeout of a connect to a route's target.
        public var connectTimeout: Duration
        /// The conditions a link starts with when a route or call first mentions it.
        public var defaultConditions: @Sendable (String, String) -> LinkConditions

        /// Creates a configuration.
        public init(
            maxBufferedBytesPerDirection: Int = 8 << 20, holdLimit: Duration = .seconds(60),
            connectTimeout: Duration = .seconds(10),
            defaultConditions: @escaping @Sendable (String, String) -> LinkConditions = { _, _ in .none }
        ) {
            self.maxBufferedBytesPerDirection = maxBufferedBytesPerDirection
            self.holdLimit = holdLimit
            self.connectTimeout = connectTimeout
            self.defaultConditions = defaultConditions
        }
    }

    private struct State {
        var links: [LinkKey: Link] = [:]
        var routes: [String: RouteListener] = [:]
        var reservedRouteNames: Set<String> = []
        var partitionedNodes: Set<String> = []
        var isShutDown = false
    }

    private let state = Mutex(State())
    private let configuration: Configuration
    private let logger: Logger

    /// Creates an emulator with the default configuration; links start without delay.
    public convenience init(logger: Logger) {
        self.init(configuration: Configuration(), logger: logger)
    }

    /// Creates an emulator.
    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Opens a listener on 127.0.0.1 (port 0 = any free port) and returns the route with its bound port. With
    /// `sourceByPeerURL`, each connection crosses the link from its sender's node (see `WANRoute.sourceByPeerURL`).
    public func addRoute(
        name: String, from: String, to: String, listenPort: Int = 0, targetHost: String = "127.0.0.1", targetPort: Int,
        sourceByPeerURL: [String: String]? = nil
    ) async throws -> WANRoute {
        try NodeName.validate(from)
        try NodeName.validate(to)
        for node in (sourceByPeerURL ?? [:]).values { try NodeName.validate(node) }
        try Self.validate(routeName: name)
        guard (0...65535).contains(listenPort) else {
            throw WANError(.invalidAddress, "listen port \(listenPort) is not a port (0 picks a free one)")
        }
        try Self.validate(targetHost: targetHost, targetPort: targetPort)
        let link = try state.withLock { state throws(WANError) in
            guard !state.isShutDown else { throw WANError(.shutDown, "the WAN emulator has been shut down") }
            guard state.routes[name] == nil, !state.reservedRouteNames.contains(name) else {
                throw WANError(.duplicateRoute, "a route named '\(name)' exists already")
            }
            state.reservedRouteNames.insert(name)
            return self.link(LinkKey(from, to), in: &state)
        }
        let route = WANRoute(
            name: name, from: from, to: to, listenPort: listenPort, targetHost: targetHost, targetPort: targetPort,
            sourceByPeerURL: sourceByPeerURL)
        let listener: RouteListener
        do {
            listener = try await RouteListener.open(
                route: route, link: link, configuration: configuration, logger: logger,
                linkBetween: { [weak self] a, b in self?.state.withLock { self?.link(LinkKey(a, b), in: &$0) } })
        } catch {
            _ = state.withLock { $0.reservedRouteNames.remove(name) }
            throw WANError(.listenFailed, "cannot listen on 127.0.0.1:\(listenPort) for route '\(name)': \(error)")
        }
        let isShutDown = state.withLock {
            $0.reservedRouteNames.remove(name)
            if !$0.isShutDown { $0.routes[name] = listener }
            return $0.isShutDown
        }
        if isShutDown {
            await listener.close()
            throw WANError(.shutDown, "the WAN emulator has been shut down")
        }
        logger.debug(
            "route added", metadata: [WANLogKey.route: "\(name)", WANLogKey.port: "\(listener.route.listenPort)"])
        return listener.route
    }

    /// Points a route at a new destination in node `to` (used to move the lab's writer endpoint to a new
    /// primary): new connections go there, across the link to `to`; existing connections of the route are
    /// closed (before this returns) so that clients reconnect.
    public func retarget(route name: String, to: String, targetPort: Int, targetHost: String = "127.0.0.1")
        async throws -> WANRoute
    {
        try NodeName.validate(to)
        try Self.validate(targetHost: targetHost, targetPort: targetPort)
        let (listener, link) = try state.withLock { state throws(WANError) in
            guard let listener = state.routes[name] else {
                throw WANError(.unknownRoute, "no route named '\(name.prefix(80))'")
            }
            return (listener, self.link(LinkKey(listener.route.from, to), in: &state))
        }
        let (route, connections) = listener.retarget(to: to, link: link, host: targetHost, port: targetPort)
        await RouteListener.close(connections)
        logger.info(
            "route retargeted",
            metadata: [
                WANLogKey.route: "\(name)", WANLogKey.node: "\(to)", WANLogKey.target: "\(targetHost):\(targetPort)",
            ])
        return route
    }

    /// Sets the conditions of the link between `a` and `b` (values out of range are clamped; the admin API
    /// rejects them instead). Affects chunks read from now on; a partition or heal applies at once.
    public func setConditions(_ conditions: LinkConditions, between a: String, and b: String) {
        let link = state.withLock { self.link(LinkKey(a, b), in: &$0) }
        link.update { $0 = conditions }
    }

    /// The conditions of the link between `a` and `b` (the default ones if no route or call has used it yet).
    public func conditions(between a: String, and b: String) -> LinkConditions {
        state.withLock { state in
            let key = LinkKey(a, b)
            return state.links[key]?.conditions ?? initialConditions(key, state.partitionedNodes)
        }
    }

    /// Cuts every link touching `node` (only the partitioned flag; latency stays), including links first used
    /// while the node is partitioned. The node's link to itself (traffic inside a region) stays up.
    public func partition(_ node: String) {
        let links = state.withLock { state in
            state.partitionedNodes.insert(node)
            return state.links.filter { $0.key.touches(node) }.map(\.value)
        }
        for link in links {
            link.update { $0.partitioned = true }
        }
        logger.info("node partitioned", metadata: [WANLogKey.node: "\(node)"])
    }

    /// Heals every link touching `node`, except links to another node that is itself partitioned.
    public func heal(_ node: String) {
        let links = state.withLock { state in
            state.partitionedNodes.remove(node)
            return state.links.filter { key, _ in
                key.touches(node) && !state.partitionedNodes.contains(key.other(than: node))
            }.map(\.value)
        }
        for link in links {
            link.update { $0.partitioned = false }
        }
        logger.info("node healed", metadata: [WANLogKey.node: "\(node)"])
    }

    /// Every route, by name.
    public func routes() -> [WANRoute] {
        state.withLock { $0.routes.values.map(\.route) }.sorted { $0.name < $1.name }
    }

    /// Every link that a route or a call has used, with conditions and counters, ordered by node names.
    public func links() -> [LinkState] {
        state.withLock { $0.links.values.map(\.snapshot) }.sorted { ($0.a, $0.b) < ($1.a, $1.b) }
    }

    /// Every node a route or link mentions, and "outside".
    public func nodes() -> Set<String> {
        state.withLock { state in
            Set(state.links.keys.flatMap { [$0.a, $0.b] }).union([DefaultLatencies.outside])
        }
    }

    /// Closes every listener and connection; later `addRoute` calls fail.
    public func shutdown() async {
        let listeners = state.withLock { state in
            state.isShutDown = true
            let listeners = Array(state.routes.values)
            state.routes = [:]
            return listeners
        }
        for listener in listeners {
            await listener.close()
        }
    }

    // MARK: Helpers

    private func link(_ key: LinkKey, in state: inout State) -> Link {
        if let link = state.links[key] { return link }
        let link = Link(key, conditions: initialConditions(key, state.partitionedNodes))
        state.links[key] = link
        return link
    }

    private func initialConditions(_ key: LinkKey, _ partitionedNodes: Set<String>) -> LinkConditions {
        var conditions = configuration.defaultConditions(key.a, key.b).clamped()
        if key.a != key.b, partitionedNodes.contains(key.a) || partitionedNodes.contains(key.b) {
            conditions.partitioned = true
        }
        return conditions
    }

    private static func validate(routeName name: String) throws(WANError) {
        let allowed = name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }
        guard (1...100).contains(name.utf8.count), allowed else {
            throw WANError(
                .invalidRouteName, "route name '\(name.prefix(80))' must be 1–100 printable characters, no '/'")
        }
    }

    private static func validate(targetHost: String, targetPort: Int) throws(WANError) {
        guard (1...65535).contains(targetPort) else {
            throw WANError(.invalidAddress, "target port \(targetPort) is not a port (1–65535)")
        }
        guard !targetHost.isEmpty, targetHost.utf8.count <= 253 else {
            throw WANError(.invalidAddress, "target host must be a host name or address")
        }
    }
}
