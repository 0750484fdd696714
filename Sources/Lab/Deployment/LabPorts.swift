import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The lab's ports, chosen before anything listens on them (the WAN routes lead to them first). They come from
/// below the kernel's ephemeral range, so that no outgoing connection of this machine takes one as its local
/// port in the seconds before its server binds it, and no two labs started by one process share one.
enum LabPorts {
    private static let reserved = Mutex(Set<Int>())

    /// A port that is free now, in 10000 up to the start of the ephemeral range, not handed out before by this
    /// process. Each process draws from its own slice of that range (by pid), so that two processes starting labs
    /// at once (a test process and a `drctl lab up` it spawned) rarely pick the same port before either binds it.
    static func pick() throws -> Int {
        let upper = ephemeralRangeStart()
        let slices = 8
        let width = (upper - 10_000) / slices
        let low = 10_000 + Int(getpid() % Int32(slices)) * width
        for attempt in 0..<10_000 {
            // After many tries in the slice (it is crowded), anywhere in the range.
            let port = attempt < 2_000 ? Int.random(in: low..<(low + width)) : Int.random(in: 10_000..<upper)
            guard reserved.withLock({ $0.insert(port).inserted }) else { continue }
            if isFree(port) { return port }
        }
        throw LabError(.startFailed, "no free port found below \(upper)")
    }

    static func ephemeralRangeStart() -> Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let start = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { Int($0) }
        return max(min(start ?? 32768, 65535), 10_001)
    }

    /// Whether 127.0.0.1:`port` can be bound now.
    static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }
}
