import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One endpoint as the proxy dials it, parsed once from its configured base URL.
struct UpstreamEndpoint: Sendable {
    let host: String
    let port: Int
    let useTLS: Bool
    /// The `Host` header the endpoint gets (its URL's authority).
    let authority: String

    init?(url: String) {
        guard let components = URLComponents(string: url), let host = components.host,
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else { return nil }
        self.host = host
        self.useTLS = scheme == "https"
        self.port = components.port ?? (useTLS ? 443 : 80)
        self.authority = components.port.map { "\(host):\($0)" } ?? host
    }
}

/// What a connection to an endpoint tells the request it is serving.
protocol UpstreamDelegate: AnyObject {
    func upstream(_ connection: UpstreamConnection, received part: HTTPClientResponsePart)
    func upstreamReadComplete(_ connection: UpstreamConnection)
    func upstream(_ connection: UpstreamConnection, failed error: any Error)
    func upstreamWritabilityChanged(_ connection: UpstreamConnection)
}

/// The keep-alive connections of one event loop, by endpoint. Every method runs on that loop, and a request is
/// served over a connection of the loop its client arrived on: no thread hop and no lock on the hot path.
/// (`@unchecked Sendable` so that it can be handed to its loop; every mutating method asserts it runs there.)
final class UpstreamPool: @unchecked Sendable {
    let eventLoop: any EventLoop
    private let connectTimeout: TimeAmount
    private let maximumIdlePerEndpoint: Int
    /// How long a connection may wait in the pool before it is closed.
    static let idleTimeout = TimeAmount.seconds(60)
    private static let sweepInterval = TimeAmount.seconds(30)
    private var idle: [String: [UpstreamConnection]] = [:]
    private var sweep: RepeatedTask?
    private var endpoints: [String: UpstreamEndpoint] = [:]
    private var tlsContext: NIOSSLContext?
    private var closed = false

    init(eventLoop: any EventLoop, connectTimeout: TimeAmount, maximumIdlePerEndpoint: Int) {
        self.eventLoop = eventLoop
        self.connectTimeout = connectTimeout
        self.maximumIdlePerEndpoint = maximumIdlePerEndpoint
    }

    /// Closes the connections that have waited longer than `idleTimeout` (every `sweepInterval`).
    private func sweepIdle() {
        let oldest = NIODeadline.now() - Self.idleTimeout
        for (url, connections) in idle where connections.contains(where: { $0.idleSince < oldest }) {
            idle[url] = connections.filter { $0.idleSince >= oldest }
            for connection in connections where connection.idleSince < oldest { connection.channel.close(promise: nil) }
        }
    }

    /// Hands `completion` an idle connection to `url`, or a new one (at once when one is idle).
    func connection(to url: String, _ completion: @escaping (Result<UpstreamConnection, any Error>) -> Void) {
        eventLoop.assertInEventLoop()
        while let connection = idle[url]?.popLast() {
            if connection.channel.isActive { return completion(.success(connection)) }
        }
        guard let endpoint = endpoint(url) else { return completion(.failure(UpstreamError.badEndpoint(url))) }
        let tls: NIOSSLContext?
        do {
            tls = endpoint.useTLS ? try tlsClientContext() : nil
        } catch {
            return completion(.failure(error))
        }
        let pool = self
        ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: endpoint.host))
                    }
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(
                        UpstreamConnection(url: url, endpoint: endpoint, pool: pool, channel: channel))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .assumeIsolated()
            .whenComplete { result in
                completion(
                    result.flatMap { channel in
                        Result { try channel.pipeline.syncOperations.handler(type: UpstreamConnection.self) }
                    })
            }
    }

    /// Takes a connection back after a complete exchange; it is closed when the pool has enough or is closed.
    func release(_ connection: UpstreamConnection) {
        eventLoop.assertInEventLoop()
        guard !closed, connection.channel.isActive, idle[connection.url, default: []].count < maximumIdlePerEndpoint
        else {
            connection.channel.close(promise: nil)
            return
        }
        connection.idleSince = .now()
        idle[connection.url, default: []].append(connection)
        if sweep == nil {
            sweep = eventLoop.scheduleRepeatedTask(initialDelay: Self.sweepInterval, delay: Self.sweepInterval) {
                [self] _ in sweepIdle()
            }
        }
    }

    /// Forgets a connection that closed while idle.
    func forget(_ connection: UpstreamConnection) {
        eventLoop.assertInEventLoop()
        idle[connection.url]?.removeAll { $0 === connection }
    }

    /// Closes every idle connection and every one released from now on.
    func close() {
        eventLoop.assertInEventLoop()
        closed = true
        sweep?.cancel()
        sweep = nil
        let connections = idle.values.joined()
        idle = [:]
        for connection in connections { connection.channel.close(promise: nil) }
    }

    func endpoint(_ url: String) -> UpstreamEndpoint? {
        if let known = endpoints[url] { return known }
        let parsed = UpstreamEndpoint(url: url)
        endpoints[url] = parsed
        return parsed
    }

    private func tlsClientContext() throws -> NIOSSLContext {
        if let tlsContext { return tlsContext }
        let context = try NIOSSLContext(configuration: .makeClientConfiguration())
        tlsContext = context
        return context
    }
}

/// A failure of the pool itself, before any connection.
enum UpstreamError: Error, CustomStringConvertible {
    case badEndpoint(String)
    case closedEarly
    case responseTimeout

    var description: String {
        switch self {
        case .badEndpoint(let url): "'\(url)' is not an http(s) endpoint"
        case .closedEarly: "the endpoint closed the connection before the response ended"
        case .responseTimeout: "no response within the response timeout"
        }
    }
}

/// The handler at the end of a connection to an endpoint: hands the response to the request it serves, and
/// tells the pool when it closes while idle (the pool closes it after `UpstreamPool.idleTimeout` unused).
final class UpstreamConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let url: String
    let endpoint: UpstreamEndpoint
    private let pool: UpstreamPool
    let channel: any Channel
    private weak var delegate: (any UpstreamDelegate)?
    private var context: ChannelHandlerContext?
    /// When the connection last went back to the pool.
    var idleSince = NIODeadline.now()

    init(url: String, endpoint: UpstreamEndpoint, pool: UpstreamPool, channel: any Channel) {
        self.url = url
        self.endpoint = endpoint
        self.pool = pool
        self.channel = channel
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Serves `delegate`'s request from now on.
    func attach(_ delegate: any UpstreamDelegate) { self.delegate = delegate }

    /// Stops serving; the connection goes back to the pool when `reusable`, else it is closed.
    func detach(reusable: Bool) {
        delegate = nil
        if reusable { pool.release(self) } else { channel.close(promise: nil) }
    }

    var isWritable: Bool { channel.isWritable }

    func write(_ part: HTTPClientRequestPart) { context?.write(wrapOutboundOut(part), promise: nil) }

    func flush() { context?.flush() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        delegate?.upstream(self, received: unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete(self)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.upstreamWritabilityChanged(self)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let delegate {
            self.delegate = nil
            delegate.upstream(self, failed: error)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let delegate {
            self.delegate = nil
            delegate.upstream(self, failed: UpstreamError.closedEarly)
        } else {
            pool.forget(self)
        }
        context.fireChannelInactive()
    }
}
