import Logging

/// Metadata keys of the drills library's log lines.
enum DrillLogKey {
    static let rate = "drill.rate"
    static let baseURL = "drill.base-url"
    static let sent = "drill.sent"
    static let customers = "drill.customers"
    static let accounts = "drill.accounts"
}
