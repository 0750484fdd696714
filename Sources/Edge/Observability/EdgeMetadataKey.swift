/// The edge's logger metadata keys, in one place so that log queries can rely on them.
enum EdgeMetadataKey {
    static let requestID = "edge.request_id"
    static let region = "edge.region"
    static let endpoint = "edge.endpoint"
    static let status = "edge.status"
    static let durationMilliseconds = "edge.duration_ms"
    static let method = "edge.method"
    static let path = "edge.path"
    static let failOpen = "edge.fail_open"
    static let reason = "edge.reason"
    static let location = "edge.location"
}
