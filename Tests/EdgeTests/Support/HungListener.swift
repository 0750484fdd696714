import NIOCore
import NIOPosix

/// A TCP listener that accepts connections and never answers, like a portal under SIGSTOP.
struct HungListener {
    let channel: any Channel

    static func start() async throws -> HungListener {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { _ in MultiThreadedEventLoopGroup.singleton.any().makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        return HungListener(channel: channel)
    }

    var url: String { "http://127.0.0.1:\(channel.localAddress?.port ?? 0)" }

    func close() async {
        try? await channel.close()
    }
}
