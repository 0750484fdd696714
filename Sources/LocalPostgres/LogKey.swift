import Logging

/// The logger metadata keys of this module, in one place.
enum LogKey {
    static let dataDirectory = "postgres.data_directory"
    static let clusterName = "postgres.cluster_name"
    static let port = "postgres.port"
    static let pid = "postgres.pid"
    static let duration = "postgres.duration"
}
