import Hummingbird
import NIOCore

/// The request context of the edge's listeners: Hummingbird's core storage plus the client's address, which
/// feeds `X-Forwarded-For` and source-address affinity.
public struct EdgeRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    /// A context for a request arriving on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
