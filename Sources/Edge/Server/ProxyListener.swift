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
    let loops: ProxyLoops
    let group: any EventLoopGroup
    /// Called with the bound port once the listener accepts connections.
    let onBound: @Sendable (Int) -> Void

    func run() async throws {
        let quiescing = ServerQuiescingHelper(group: group)
        let policy = self.policy
        let loops = self.loops
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
                    // Neither pipelining assistance (it holds the socket's reads while a response is under way,
                    // two epoll_ctl calls per request) nor NIO's error handler (a handler on every write):
                    // ProxyHandler queues pipelined requests and answers malformed ones itself.
                    try sync.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
                    try sync.addHandler(ProxyHandler(policy: policy, loop: loops.loop(for: channel.eventLoop)))
                }
            }
            .bind(host: host, port: port).get()
        onBound(channel.localAddress?.port ?? 0)
        try? await gracefulShutdown()
        let closed = group.next().makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: closed)
        try await closed.futureResult.get()
        await loops.flushAccessLog()
    }
}

/// Closes the proxy's idle upstream connections once shutdown begins; a connection released later is closed then.
struct UpstreamPoolsShutdown: Service {
    let loops: ProxyLoops

    func run() async throws {
        try? await gracefulShutdown()
        await loops.close()
    }
}
