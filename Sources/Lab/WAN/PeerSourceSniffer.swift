import Foundation
import NIOCore

/// Reads the first request head of an accepted connection to learn which node sent it, then hands the channel
/// and the bytes read so far on. etcd's raft transport names its sender in an `X-PeerURLs` header on every
/// stream and pipeline request; requests without it (version and probing checks), or a head that does not end
/// within `limit` bytes, are handed on with no node. Each connection has one sender, so one look suffices.
final class PeerSourceSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let sources: [String: String]
    private let limit: Int
    private let onIdentified: (String?, any Channel, ByteBuffer) -> Void
    private var head: ByteBuffer?
    private var isDone = false

    init(
        sources: [String: String], limit: Int = 16 * 1024,
        onIdentified: @escaping (String?, any Channel, ByteBuffer) -> Void
    ) {
        self.sources = sources
        self.limit = limit
        self.onIdentified = onIdentified
    }

    func channelActive(context: ChannelHandlerContext) {
        context.read()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard !isDone else { return }
        if head == nil { head = buffer } else { head!.writeBuffer(&buffer) }
        let text = String(buffer: head!)
        if let end = text.range(of: "\r\n\r\n") {
            finish(context, node: Self.sender(in: text[..<end.lowerBound], sources: sources))
        } else if head!.readableBytes >= limit {
            finish(context, node: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !isDone { context.read() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isDone = true
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func finish(_ context: ChannelHandlerContext, node: String?) {
        isDone = true
        let channel = context.channel
        let bytes = head ?? channel.allocator.buffer(capacity: 0)
        head = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        onIdentified(node, channel, bytes)
    }

    /// The node of the first URL in the head's `X-PeerURLs` header (case-insensitive) that `sources` knows.
    static func sender(in head: Substring, sources: [String: String]) -> String? {
        for line in head.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":"),
                line[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == "x-peerurls"
            else { continue }
            let urls = line[line.index(after: colon)...].split(separator: ",")
            for url in urls {
                if let node = sources[url.trimmingCharacters(in: .whitespaces)] { return node }
            }
        }
        return nil
    }
}
