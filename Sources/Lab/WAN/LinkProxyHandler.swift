import NIOCore

/// The channel handler on both channels of a proxied connection: passes reads, closes and writability changes
/// to the connection, which decides when the bytes cross the link.
final class LinkProxyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let connection: ProxiedConnection
    private let side: ProxiedConnection.Side

    init(connection: ProxiedConnection, side: ProxiedConnection.Side) {
        self.connection = connection
        self.side = side
    }

    func channelActive(context: ChannelHandlerContext) {
        switch side {
        case .downstream: connection.downstreamActive()
        case .upstream: connection.upstreamActive(context.channel)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.received(unwrapInboundIn(data), from: side)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection.readComplete(from: side)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.inactive(side)
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            connection.writabilityChanged(side)
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset or a broken pipe: close this side; the close then crosses the link like any other.
        context.close(promise: nil)
    }
}
