import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import Edge

/// The access log's lines and batches, on an event loop whose clock the test moves.
struct AccessLogTests {
    final class Captured: Sendable {
        let batches = Mutex<[String]>([])
        var sink: AccessLogSink {
            AccessLogSink { batch in self.batches.withLock { $0.append(String(buffer: batch)) } }
        }
    }

    static func buffer(level: Logger.Level, _ captured: Captured, on loop: EmbeddedEventLoop) -> AccessLogBuffer {
        var logger = Logger(label: "drctl.edge")
        logger.logLevel = level
        return AccessLogBuffer(log: AccessLog(logger: logger, sink: captured.sink), eventLoop: loop)
    }

    @Test func linesHaveTheStreamHandlersLayoutAndGoOutTogetherAfterTheFlushInterval() throws {
        let loop = EmbeddedEventLoop()
        let captured = Captured()
        let log = Self.buffer(level: .info, captured, on: loop)
        // 2026-12-03T13:42:37Z
        log.record(
            requestID: "r-1", region: "us-east-1", status: 200, method: "GET", path: "/v1/me", milliseconds: 3,
            failOpen: false, now: 1_796_305_357)
        log.record(
            requestID: "r-2", region: "none", status: 503, method: "POST", path: "/v1/sessions", milliseconds: 0,
            failOpen: true, now: 1_796_305_358)
        #expect(captured.batches.withLock { $0 }.isEmpty, "nothing is written on the request's path")
        loop.advanceTime(by: AccessLog.flushInterval)
        #expect(
            captured.batches.withLock { $0 } == [
                "2026-12-03T13:42:37+0000 info drctl.edge : edge.duration_ms=3 edge.fail_open=false edge.method=GET "
                    + "edge.path=/v1/me edge.region=us-east-1 edge.request_id=r-1 edge.status=200 [Edge] request\n"
                    + "2026-12-03T13:42:38+0000 info drctl.edge : edge.duration_ms=0 edge.fail_open=true edge.method=POST "
                    + "edge.path=/v1/sessions edge.region=none edge.request_id=r-2 edge.status=503 [Edge] request\n"
            ])
        loop.advanceTime(by: .seconds(1))
        #expect(captured.batches.withLock { $0.count } == 1, "an empty buffer writes nothing")
        try loop.syncShutdownGracefully()
    }

    @Test func aFullBufferGoesOutAtOnceAndALevelAboveInfoWritesNothing() throws {
        let loop = EmbeddedEventLoop()
        let captured = Captured()
        let log = Self.buffer(level: .info, captured, on: loop)
        let path = String(repeating: "p", count: 1_000)
        for index in 0..<100 {
            log.record(
                requestID: "r-\(index)", region: "us-east-1", status: 200, method: "GET", path: path[...],
                milliseconds: 1, failOpen: false)
        }
        let written = captured.batches.withLock { $0 }
        #expect(written.count == 1, "64 KiB went out without waiting for the interval")
        #expect(written.first?.utf8.count ?? 0 >= AccessLog.flushBytes)
        log.flush()
        #expect(captured.batches.withLock { $0 }.joined().split(separator: "\n").count == 100)

        let quiet = Captured()
        let warning = Self.buffer(level: .warning, quiet, on: loop)
        warning.record(
            requestID: "r", region: "us-east-1", status: 200, method: "GET", path: "/", milliseconds: 1,
            failOpen: false)
        loop.advanceTime(by: .seconds(1))
        warning.flush()
        #expect(quiet.batches.withLock { $0 }.isEmpty)
        try loop.syncShutdownGracefully()
    }
}
