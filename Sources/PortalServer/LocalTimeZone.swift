#if canImport(Glibc)
    import Glibc
#endif

/// Names the system's time zone in `TZ` when it is unset. swift-log's stream handler stamps every line with
/// `localtime`, and glibc re-checks the time zone file on each call while `TZ` is unset: a system call per log
/// line, which the access log writes per request (`GET /v1/me` carried about 9 % more requests per second
/// without it, measured side by side). The local time stays what it was: `:/etc/localtime` is the file glibc
/// reads by default.
enum LocalTimeZone {
    static func pin() {
        if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 0) }
    }
}
