import Dispatch
import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// The edge's access log: one line per request, laid out as swift-log's stream handler lays out every other line
/// of the edge (`2026-12-03T13:42:37+0000 info drctl.edge : edge.duration_ms=1 edge.fail_open=false … [Edge]
/// request`), at `info`. The hot path appends the line to its event loop's buffer and makes no system call; the
/// buffer goes to the sink in one piece at most `flushInterval` later (or at `flushBytes`), and the sink writes it
/// from a queue of its own. Through swift-log every line cost a lock, a sort of its metadata and five system calls
/// (the time zone file's open, stat, read and close for the local time, and the write), on the event loop.
/// A crash loses at most the last `flushInterval` of lines.
struct AccessLog: Sendable {
    static let flushInterval = TimeAmount.milliseconds(100)
    static let flushBytes = 64 * 1024

    let label: String
    /// Off when the logger's level is above `info`.
    let enabled: Bool
    let sink: AccessLogSink

    init(logger: Logger, sink: AccessLogSink) {
        self.label = logger.label
        self.enabled = logger.logLevel <= .info
        self.sink = sink
    }
}

/// Where the access log's batches go.
public struct AccessLogSink: Sendable {
    let write: @Sendable (ByteBuffer) -> Void
    /// Returns once every batch handed over so far is written.
    let drain: @Sendable () async -> Void

    /// The process's standard error, where swift-log's default handler writes the edge's other lines.
    public static let standardError = AccessLogSink(fileDescriptor: 2)

    /// Writes every batch, whole, to `fileDescriptor` from a serial queue.
    public init(fileDescriptor: Int32) {
        let queue = DispatchQueue(label: "edge.access-log")
        write = { batch in
            queue.async {
                batch.withUnsafeReadableBytes { bytes in
                    var offset = 0
                    while offset < bytes.count {
                        let written = Glibc.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                        if written > 0 {
                            offset += written
                        } else if written < 0, errno == EINTR {
                            continue
                        } else {
                            return
                        }
                    }
                }
            }
        }
        drain = { await withCheckedContinuation { done in queue.async { done.resume() } } }
    }

    /// Hands every batch to `write` (tests).
    init(write: @escaping @Sendable (ByteBuffer) -> Void) {
        self.write = write
        self.drain = {}
    }
}

/// One event loop's part of the access log; used only on that loop.
final class AccessLogBuffer {
    private let log: AccessLog
    private let eventLoop: any EventLoop
    private var buffer: ByteBuffer
    private var flushScheduled = false
    private var stampSecond = -1
    private var stamp = ""

    init(log: AccessLog, eventLoop: any EventLoop) {
        self.log = log
        self.eventLoop = eventLoop
        self.buffer = ByteBufferAllocator().buffer(capacity: 0)
    }

    /// Appends the line of one finished request.
    func record(
        requestID: String, region: String, status: UInt, method: String, path: Substring,
        milliseconds: Int64, failOpen: Bool, now: Int = time(nil)
    ) {
        guard log.enabled else { return }
        if now != stampSecond {
            stampSecond = now
            stamp = Self.timestamp(now)
        }
        buffer.writeString(stamp)
        buffer.writeString(" info ")
        buffer.writeString(log.label)
        buffer.writeString(Field.duration)
        buffer.writeString(String(milliseconds))
        buffer.writeString(failOpen ? Field.failOpenTrue : Field.failOpenFalse)
        buffer.writeString(method)
        buffer.writeString(Field.path)
        buffer.writeSubstring(path)
        buffer.writeString(Field.region)
        buffer.writeString(region)
        buffer.writeString(Field.requestID)
        buffer.writeString(requestID)
        buffer.writeString(Field.status)
        buffer.writeString(String(status))
        buffer.writeString(" [Edge] request\n")
        if buffer.readableBytes >= AccessLog.flushBytes {
            flush()
        } else if !flushScheduled {
            flushScheduled = true
            eventLoop.assumeIsolated().scheduleTask(in: AccessLog.flushInterval) { [self] in
                flushScheduled = false
                flush()
            }
        }
    }

    /// The fixed parts of a line, in swift-log's order (metadata keys sorted).
    private enum Field {
        static let duration = " : \(EdgeMetadataKey.durationMilliseconds)="
        static let failOpenTrue = " \(EdgeMetadataKey.failOpen)=true \(EdgeMetadataKey.method)="
        static let failOpenFalse = " \(EdgeMetadataKey.failOpen)=false \(EdgeMetadataKey.method)="
        static let path = " \(EdgeMetadataKey.path)="
        static let region = " \(EdgeMetadataKey.region)="
        static let requestID = " \(EdgeMetadataKey.requestID)="
        static let status = " \(EdgeMetadataKey.status)="
    }

    /// Hands what is buffered to the sink.
    func flush() {
        guard buffer.readableBytes > 0 else { return }
        log.sink.write(buffer)
        buffer = ByteBufferAllocator().buffer(capacity: 0)
    }

    /// `2026-12-03T13:42:37+0000`, in UTC.
    static func timestamp(_ second: Int) -> String {
        var seconds = time_t(second)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { text in
            let count = strftime(text.baseAddress!, 32, "%Y-%m-%dT%H:%M:%S+0000", &parts)
            return String(decoding: UnsafeRawBufferPointer(start: text.baseAddress, count: count), as: UTF8.self)
        }
    }
}
