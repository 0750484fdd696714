import AsyncHTTPClient

extension HTTPClient {
    /// A shared client for the control plane's own calls (etcd members, replicas, the leader), which all have
    /// another endpoint to try: a connection that cannot be established (a killed member or replica) fails the
    /// request at once. `HTTPClient.shared` retries the connection until the request's timeout instead, so a
    /// dead first endpoint cost every call that whole timeout (30 s for `drctl status` with two dead replicas).
    public static let failingFast: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
