import NIOCore

/// One direction of a proxied connection: chunks waiting to cross the link, each with the time it may be delivered.
///
/// A chunk read at `t` is due at `t + delay`, but never before the chunk ahead of it, so per-direction byte order
/// holds even with jitter, and chunks pipeline instead of waiting one latency each. A pure value: the connection
/// does the I/O and the scheduling.
struct DelayedPipe {
    /// What crosses the link: bytes, or the end of the stream (delivered as a close, after the bytes before it).
    enum Payload {
        case data(ByteBuffer)
        case close
    }

    struct Chunk {
        var due: NIODeadline
        var payload: Payload
    }

    private(set) var queue = CircularBuffer<Chunk>()
    /// Bytes read but not yet delivered; the connection stops reading above its buffer limit.
    private(set) var queuedBytes = 0
    private var lastDue = NIODeadline.uptimeNanoseconds(0)
    /// After a partition heals, held chunks cross the link again, so none is delivered before this.
    var notBefore = NIODeadline.uptimeNanoseconds(0)
    /// The timer that delivers the head chunk, if one is scheduled.
    var timer: Scheduled<Void>?
    /// The delivery found the link cut; the heal resumes it.
    var isHeld = false
    /// Reading from the source is paused until the queue drains or the destination is writable again.
    var isReadPaused = false
    /// The source has closed; its close is queued.
    private(set) var isSourceClosed = false

    var isEmpty: Bool { queue.isEmpty }

    /// When the head chunk is due, if there is one.
    var nextDue: NIODeadline? { queue.first.map { max($0.due, notBefore) } }

    /// Queues a payload read at `now` to be delivered after `delay`, and not before the chunk ahead of it.
    mutating func enqueue(_ payload: Payload, now: NIODeadline, delay: Duration) {
        guard !isSourceClosed else { return }
        let due = max(now + TimeAmount(delay), lastDue)
        lastDue = due
        if case .data(let buffer) = payload {
            queuedBytes += buffer.readableBytes
        } else {
            isSourceClosed = true
        }
        queue.append(Chunk(due: due, payload: payload))
    }

    /// Removes and returns the head chunk if it is due at `now`.
    mutating func popDue(now: NIODeadline) -> Payload? {
        guard let due = nextDue, due <= now else { return nil }
        let chunk = queue.removeFirst()
        if case .data(let buffer) = chunk.payload {
            queuedBytes -= buffer.readableBytes
        }
        return chunk.payload
    }

    /// Drops everything queued (the destination is gone).
    mutating func discardAll() {
        queue.removeAll()
        queuedBytes = 0
    }

    /// Cancels the delivery timer.
    mutating func cancelTimer() {
        timer?.cancel()
        timer = nil
    }
}
