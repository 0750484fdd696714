import Foundation
import Lab
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Shared pieces of the WAN tests: loopback echo servers, a polling TCP client, scoped emulators and admin APIs.
/// Everything a test starts is stopped when its scope ends, also when the test fails.
enum WANTest {
    static var logger: Logger {
        var logger = Logger(label: "wan-test")
        logger.logLevel = .warning
        return logger
    }

    /// Runs `body` with a fresh emulator and shuts it down afterwards.
    static func withEmulator<T>(
        _ configuration: WANEmulator.Configuration = .init(), _ body: (WANEmulator) async throws -> T
    ) async throws -> T {
        let emulator = WANEmulator(configuration: configuration, logger: logger)
        do {
            let result = try await body(emulator)
            await emulator.shutdown()
            return result
        } catch {
            await emulator.shutdown()
            throw error
        }
    }

    /// Runs `body` with an echo server on a free loopback port and stops it afterwards; with `closeAfterEcho`
    /// the server closes each connection after echoing its first read.
    static func withEchoServer<T>(closeAfterEcho: Bool = false, _ body: (EchoServer) async throws -> T)
        async throws -> T
    {
        let server = try await EchoServer.start(closeAfterEcho: closeAfterEcho)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Runs `body` with a connection to `port` and closes it afterwards.
    static func withConnection<T>(to port: Int, _ body: (TestConnection) async throws -> T) async throws -> T {
        let connection = try await TestConnection.connect(port: port)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Runs `body` with the admin API of `emulator` on a free port, and a client of it; shuts the API down
    /// gracefully afterwards.
    static func withAdminAPI<T: Sendable>(
        _ emulator: WANEmulator, _ body: @Sendable (WANAdminClient) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = buildWANAdminApplication(
            emulator: emulator, host: "127.0.0.1", port: 0, logger: logger,
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
        let services = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await services.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            do {
                let result = try await body(WANAdminClient(port: port))
                await services.triggerGracefulShutdown()
                return result
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
        }
    }

    /// `count` bytes of deterministic noise (eight at a time, so that megabytes are quick in a debug build).
    static func noise(count: Int, seed: UInt64 = 42) -> [UInt8] {
        var state = seed
        var words = [UInt64](repeating: 0, count: (count + 7) / 8)
        for index in words.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            words[index] = state ^ (state >> 29)
        }
        return words.withUnsafeBytes { Array($0.prefix(count)) }
    }

    /// Whether `condition` becomes true within `timeout` (checked every few milliseconds).
    static func eventually(within timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// Milliseconds `body` takes.
    static func milliseconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }
}

/// A TCP echo server on 127.0.0.1 that counts the connections it accepted.
final class EchoServer: Sendable {
    private let channel: any Channel
    private let counter: Counter

    private init(channel: any Channel, counter: Counter) {
        self.channel = channel
        self.counter = counter
    }

    private final class Counter: Sendable {
        let count = Mutex(0)
    }

    static func start(closeAfterEcho: Bool) async throws -> EchoServer {
        let counter = Counter()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                counter.count.withLock { $0 += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EchoHandler(closeAfterEcho: closeAfterEcho))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return EchoServer(channel: channel, counter: counter)
    }

    var port: Int { channel.localAddress?.port ?? 0 }
    var acceptedConnections: Int { counter.count.withLock { $0 } }

    func stop() async {
        try? await channel.close()
    }
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let closeAfterEcho: Bool

    init(closeAfterEcho: Bool) {
        self.closeAfterEcho = closeAfterEcho
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        if closeAfterEcho { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// A client connection that collects what it receives; the test polls it with a deadline.
final class TestConnection: Sendable {
    private let channel: any Channel
    private let received: Received

    final class Received: Sendable {
        struct State {
            var bytes: [UInt8] = []
            var isClosed = false
        }
        let state = Mutex(State())
    }

    private init(channel: any Channel, received: Received) {
        self.channel = channel
        self.received = received
    }

    static func connect(port: Int) async throws -> TestConnection {
        let received = Received()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CollectingHandler(received: received))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TestConnection(channel: channel, received: received)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Writes without waiting for the socket to take the bytes (for sends larger than the path can buffer).
    func sendWithoutWaiting(_ bytes: [UInt8]) {
        channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
    }

    /// The first `count` bytes received (removed from the buffer), or nil if they do not all arrive in time.
    /// `spin` polls without sleeping, for measuring sub-millisecond round trips.
    func receive(count: Int, within timeout: Duration = .seconds(10), spin: Bool = false) async throws -> [UInt8]? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let bytes: [UInt8]? = received.state.withLock { state in
                guard state.bytes.count >= count else { return nil }
                defer { state.bytes.removeFirst(count) }
                return Array(state.bytes.prefix(count))
            }
            if let bytes { return bytes }
            if ContinuousClock.now >= deadline { return nil }
            if spin {
                await Task.yield()
            } else {
                try await Task.sleep(for: .milliseconds(1))
            }
        }
    }

    /// Bytes received and not yet taken.
    var pendingCount: Int { received.state.withLock { $0.bytes.count } }

    /// Whether the connection is closed by the peer within `timeout`.
    func closes(within timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if received.state.withLock({ $0.isClosed }) { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return received.state.withLock { $0.isClosed }
    }

    func close() async {
        try? await channel.close()
    }
}

private final class CollectingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let received: TestConnection.Received

    init(received: TestConnection.Received) {
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received.state.withLock { $0.bytes.append(contentsOf: buffer.readableBytesView) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.state.withLock { $0.isClosed = true }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
