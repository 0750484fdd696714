import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A stand-in for one portal: answers `/health/ready` as told (200, 503, or not at all) and echoes its region
/// and index on every other path, with the proxy headers it saw.
public final class TestPortal: Sendable {
    public enum HealthMode: Sendable {
        case ready
        case unavailable
        case silent
    }

    public let region: String
    public let index: Int
    private let mode = Mutex(HealthMode.ready)
    private let group = Mutex<ServiceGroup?>(nil)
    private let boundPort = Mutex<Int?>(nil)
    private let finished = Mutex(false)

    public init(region: String, index: Int = 0) {
        self.region = region
        self.index = index
    }

    public var port: Int { boundPort.withLock { $0 ?? 0 } }
    public var url: String { "http://127.0.0.1:\(port)" }
    public var name: String { "\(region)#\(index)" }

    public func setHealth(_ newMode: HealthMode) { mode.withLock { $0 = newMode } }

    /// Runs the portal until `stop()`; reports its port through `bound`.
    public func run(bound: @escaping @Sendable (Int) -> Void) async throws {
        let region = region
        let name = name
        let responder = CallbackResponder { (request: Request, _: BasicRequestContext) -> Response in
            if request.uri.path == "/health/ready" {
                while self.mode.withLock({ $0 }) == .silent {
                    try await Task.sleep(for: .milliseconds(20))
                }
                let ready = self.mode.withLock { $0 } == .ready
                return Response(status: ready ? .ok : .serviceUnavailable)
            }
            var headers: HTTPFields = [HTTPField.Name("X-Backend")!: name]
            headers[HTTPField.Name("X-Seen-Request-Id")!] = request.headers[HTTPField.Name("X-Request-Id")!] ?? ""
            headers[HTTPField.Name("X-Seen-Forwarded-For")!] =
                request.headers[HTTPField.Name("X-Forwarded-For")!] ?? ""
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            headers[HTTPField.Name("X-Seen-Body-Bytes")!] = String(body.readableBytes)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: region)))
        }
        var logger = Logger(label: "test-portal")
        logger.logLevel = .warning
        let app = Application(
            responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                let value = channel.localAddress?.port ?? 0
                self.boundPort.withLock { $0 = value }
                bound(value)
            },
            logger: logger)
        let serviceGroup = ServiceGroup(services: [app], logger: logger)
        group.withLock { $0 = serviceGroup }
        defer { finished.withLock { $0 = true } }
        try await serviceGroup.run()
    }

    /// Closes the portal's listener and every connection, like a crashed process: returns once the server has
    /// stopped, so that no keep-alive connection a proxy pooled can still be answered on (seen in CI: the first
    /// request after `stop()` was served by the stopped portal).
    public func stop() async {
        mode.withLock { $0 = .ready }
        await group.withLock { $0 }?.triggerGracefulShutdown()
        let deadline = ContinuousClock.now + .seconds(10)
        while !finished.withLock({ $0 }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
