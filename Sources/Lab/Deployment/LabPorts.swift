import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The lab's ports, chosen before anything listens on them (the WAN routes lead to them first). They come from
/// below the kernel's ephemeral range, so that no outgoing connection of this machine takes one as its local
/// port in the seconds before its server binds it. A port handed out is reserved for every process of this
/// machine (a file created exclusively under `reservations`), so two processes starting labs at once — a test
/// process and the `drctl lab up` it spawned, or two test processes — never pick the same port before either
/// binds it; a pick by pid slice alone collided now and then, and the losing PostgreSQL could not start.
enum LabPorts {
    private static let reserved = Mutex(Set<Int>())

    /// Where reservations live; one empty file per port, named by the port.
    static let reservations = (NSTemporaryDirectory() as NSString).appendingPathComponent("customer-portal-lab-ports")

    /// How long a reservation holds: far longer than a lab takes from picking a port to binding it. An older
    /// one is taken over (its port is in use by then, or its lab never started).
    static let reservationLifetime: TimeInterval = 600

    /// A port that is free now, in 10000 up to the start of the ephemeral range, and reserved by nobody else.
    static func pick() throws -> Int {
        let upper = ephemeralRangeStart()
        _ = sweptOnce
        for _ in 0..<10_000 {
            let port = Int.random(in: 10_000..<upper)
            guard reserved.withLock({ $0.insert(port).inserted }) else { continue }
            if isFree(port), reserve(port) { return port }
        }
        throw LabError(.startFailed, "no free port found below \(upper) (reservations in \(reservations))")
    }

    /// Creates the reservation folder and removes the stale reservations in it, once per process, so that the
    /// files of labs long gone do not pile up.
    private static let sweptOnce: Void = {
        let files = FileManager.default
        try? files.createDirectory(atPath: reservations, withIntermediateDirectories: true)
        for name in (try? files.contentsOfDirectory(atPath: reservations)) ?? [] {
            let file = (reservations as NSString).appendingPathComponent(name)
            if isStale(file) { unlink(file) }
        }
    }()

    /// Creates the port's reservation file exclusively; false when another process holds a recent one. Where
    /// the folder cannot be written, this process's own set is all that holds (as before reservations).
    static func reserve(_ port: Int) -> Bool {
        let file = (reservations as NSString).appendingPathComponent(String(port))
        func create() -> Int32 {
            let descriptor = open(file, O_CREAT | O_EXCL | O_WRONLY, 0o644)
            guard descriptor >= 0 else { return errno }
            close(descriptor)
            return 0
        }
        let failure = create()
        if failure == 0 { return true }
        guard failure == EEXIST else { return true }
        guard isStale(file) else { return false }
        unlink(file)  // stale: its port is bound by now, or its lab never started
        return create() == 0
    }

    /// Whether the reservation `file` is older than `reservationLifetime`.
    static func isStale(_ file: String) -> Bool {
        guard let modified = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date
        else { return false }
        return Date().timeIntervalSince(modified) > reservationLifetime
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
