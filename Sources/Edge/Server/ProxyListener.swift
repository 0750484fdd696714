import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// One entry address of the edge: an HTTP/1.1 server whose connections each get a `ProxyHandler`. On graceful
/// shutdown it stops accepting, lets every connection finish the request it is serving, and returns once all
/// have closed.
struct ProxyListener: Service {
    let host: String
    let port: Int
    let policy: ProxyPolicy
    let pools: UpstreamPools
    let group: any EventLoopGroup
    /// Called with the bound port once the listener accepts connections.
    let onBound: @Sendable (Int) -> Void

    func run() async throws {
        let quiescing = ServerQuiescingHelper(group: group)
        let policy = self.policy
        let pools = self.pools
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(ProxyHandler(policy: policy, pool: pools.pool(for: channel.eventLoop)))
                }
            }
            .bind(host: host, port: port).get()
        onBound(channel.localAddress?.port ?? 0)
        try? await gracefulShutdown()
        let closed = group.next().makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: closed)
        try await closed.futureResult.get()
    }
}

/// Closes the proxy's idle upstream connections after the listeners have stopped.
struct UpstreamPoolsShutdown: Service {
    let pools: UpstreamPools

    func run() async throws {
        try? await gracefulShutdown()
        await pools.close()
    }
}
