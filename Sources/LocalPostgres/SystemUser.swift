import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The unprivileged account that runs the PostgreSQL programs when this process is root
/// (`initdb` and `postgres` refuse to run as root).
struct SystemUser: Sendable, Equatable {
    var name: String
    var uid: uid_t
    var gid: gid_t
    var groups: [gid_t]

    /// The user to run PostgreSQL as: `nil` when this process is not root (programs then run as ourselves).
    static func forPostgres(named name: String) throws(PostgresClusterError) -> SystemUser? {
        guard geteuid() == 0 else { return nil }
        guard let user = lookUp(name) else {
            throw PostgresClusterError(
                code: .systemUserNotFound,
                message: "running as root, and PostgreSQL refuses root, but there is no system user '\(name)' "
                    + "to run it as; create it (useradd --system \(name)) or set systemUser"
            )
        }
        return user
    }

    static func lookUp(_ name: String) -> SystemUser? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        #if canImport(Darwin)
            let found = groups.withUnsafeMutableBufferPointer { pointer in
                pointer.baseAddress!.withMemoryRebound(to: Int32.self, capacity: Int(count)) {
                    getgrouplist(name, Int32(bitPattern: entry.pw_gid), $0, &count)
                }
            }
        #else
            let found = getgrouplist(name, entry.pw_gid, &groups, &count)
        #endif
        groups = found >= 0 ? Array(groups.prefix(Int(count))) : [entry.pw_gid]
        return SystemUser(name: name, uid: entry.pw_uid, gid: entry.pw_gid, groups: groups)
    }

    /// The command line prefix that runs a program as this user. `setpriv` execs the program in place (unlike `su`
    /// or `runuser`, which fork and stay as its parent), so the pid of the started process is the program's own.
    func commandPrefix(setpriv: String) -> [String] {
        [setpriv, "--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--"]
    }

    /// Gives `path` to this user (the data directory must belong to the user that runs the server).
    func takeOwnership(of path: String) throws(PostgresClusterError) {
        guard chown(path, uid, gid) == 0 else {
            throw PostgresClusterError(
                code: .dataDirectoryUnusable,
                message: "cannot give \(path) to user \(name): \(String(cString: strerror(errno)))"
            )
        }
    }

    /// Throws naming the first folder above (and including) `path` that this user cannot enter.
    func checkTraversable(_ path: String) throws(PostgresClusterError) {
        var folder = (path as NSString).standardizingPath
        var folders: [String] = []
        while true {
            folders.append(folder)
            if folder == "/" || folder.isEmpty { break }
            folder = (folder as NSString).deletingLastPathComponent
        }
        for folder in folders.reversed() {
            var info = stat()
            guard stat(folder, &info) == 0 else { continue }
            let mode = info.st_mode
            let allowed: Bool
            if info.st_uid == uid {
                allowed = mode & S_IXUSR != 0
            } else if groups.contains(info.st_gid) {
                allowed = mode & S_IXGRP != 0
            } else {
                allowed = mode & S_IXOTH != 0
            }
            if !allowed {
                throw PostgresClusterError(
                    code: .dataDirectoryUnusable,
                    message: "user \(name) cannot enter \(folder) (above the data directory \(path)); "
                        + "put the data directory elsewhere (e.g. under /tmp) or chmod o+x \(folder)"
                )
            }
        }
    }
}
