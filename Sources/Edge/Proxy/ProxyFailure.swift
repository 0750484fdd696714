import AsyncHTTPClient
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why an attempt to an endpoint failed, in the terms that decide retry and status.
enum ProxyFailure: Sendable, Equatable {
    /// No connection could be made: nothing was sent, so any request may be retried (502 otherwise).
    case connect(String)
    /// No response head within the response timeout (504).
    case timeout
    /// The connection broke after the request may have been sent (502).
    case upstream(String)

    init(_ error: any Error) {
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded: self = .timeout
            case .connectTimeout, .getConnectionFromPoolTimeout: self = .connect("\(error)")
            default: self = .upstream("\(error)")
            }
        case UpstreamError.responseTimeout:
            self = .timeout
        case UpstreamError.badEndpoint(let url):
            self = .connect("'\(url)' is not an http(s) endpoint")
        case is NIOConnectionError:
            self = .connect("connection refused or unreachable")
        case let error as IOError
        where [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL].contains(error.errnoCode):
            self = .connect("\(error)")
        case ChannelError.connectTimeout:
            self = .connect("connect timeout")
        default:
            self = .upstream("\(error)")
        }
    }

    /// A short text for logs and health reasons.
    var reason: String {
        switch self {
        case .connect(let detail): "connect failed: \(detail)"
        case .timeout: "timed out"
        case .upstream(let detail): "upstream failed: \(detail)"
        }
    }

    /// The metric label.
    var kind: String {
        switch self {
        case .connect: "connect"
        case .timeout: "timeout"
        case .upstream: "upstream"
        }
    }
}
