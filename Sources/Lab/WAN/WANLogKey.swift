/// Logger metadata keys of the WAN emulator.
enum WANLogKey {
    static let route = "wan.route"
    static let node = "wan.node"
    static let target = "wan.target"
    static let port = "wan.port"
    static let host = "wan.host"
    static let error = "error"
}
