import NIOCore

/// What the proxy keeps per event loop, so that the hot path takes no lock: the keep-alive connections and the
/// access log's buffer. Used only on its loop.
final class ProxyLoop: @unchecked Sendable {
    let pool: UpstreamPool
    let accessLog: AccessLogBuffer

    init(eventLoop: any EventLoop, connectTimeout: TimeAmount, maximumIdlePerEndpoint: Int, accessLog: AccessLog) {
        pool = UpstreamPool(
            eventLoop: eventLoop, connectTimeout: connectTimeout, maximumIdlePerEndpoint: maximumIdlePerEndpoint)
        self.accessLog = AccessLogBuffer(log: accessLog, eventLoop: eventLoop)
    }
}

/// The `ProxyLoop` of every event loop of a group, made once.
final class ProxyLoops: Sendable {
    // Built in `init` and never changed; each value is touched only on its own event loop.
    private let loops: [ObjectIdentifier: ProxyLoop]
    private let accessLog: AccessLog

    init(group: any EventLoopGroup, connectTimeout: TimeAmount, maximumIdlePerEndpoint: Int, accessLog: AccessLog) {
        var loops: [ObjectIdentifier: ProxyLoop] = [:]
        for loop in group.makeIterator() {
            loops[ObjectIdentifier(loop)] = ProxyLoop(
                eventLoop: loop, connectTimeout: connectTimeout, maximumIdlePerEndpoint: maximumIdlePerEndpoint,
                accessLog: accessLog)
        }
        self.loops = loops
        self.accessLog = accessLog
    }

    /// The state of `eventLoop` (a loop of the group), or a new one for a foreign loop.
    func loop(for eventLoop: any EventLoop) -> ProxyLoop {
        loops[ObjectIdentifier(eventLoop)]
            ?? ProxyLoop(
                eventLoop: eventLoop, connectTimeout: .milliseconds(500), maximumIdlePerEndpoint: 0,
                accessLog: accessLog)
    }

    /// Closes every loop's idle connections, each on its own loop.
    func close() async {
        for loop in loops.values {
            try? await loop.pool.eventLoop.submit { loop.pool.close() }.get()
        }
    }

    /// Writes out every loop's access log buffer and waits until the sink has written it.
    func flushAccessLog() async {
        for loop in loops.values {
            try? await loop.pool.eventLoop.submit { loop.accessLog.flush() }.get()
        }
        await accessLog.sink.drain()
    }
}
