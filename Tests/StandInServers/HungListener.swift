import NIOCore
import NIOPosix

/// A TCP listener that accepts connections and never answers, like a portal under SIGSTOP.
public struct HungListener {
    public let channel: any Channel

    public static func start() async throws -> HungListener {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { _ in MultiThreadedEventLoopGroup.singleton.any().makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        return HungListener(channel: channel)
    }

    public var url: String { "http://127.0.0.1:\(channel.localAddress?.port ?? 0)" }

    public func close() async {
        try? await channel.close()
    }
}
