import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension LabDeployment {
    /// Stops every process of the lab by its recorded pid: portals and the control plane, then databases (fast
    /// shutdown) and etcd members, then the WAN emulator. With `purge`, deletes the lab's folder. Works after `drctl` itself was killed, since it
    /// reads only the state file. Returns how many processes were stopped.
    @discardableResult
    public func down(purge: Bool) async throws -> Int {
        guard let state = try LabState.load(from: directory) else {
            if purge, FileManager.default.fileExists(atPath: directory) { try removeLabFolder() }
            return 0
        }
        var stopped = 0
        let portals =
            state.regions.flatMap { $0.portals.compactMap(\.process) + [$0.controller?.process].compactMap { $0 } }
            + [state.edge?.process].compactMap { $0 }
        // A server started by a drctl killed before it recorded the pid is found by its postmaster.pid.
        let databases = state.regions.compactMap { region in
            region.postgres.process.flatMap { DetachedProcess.isRunning($0) ? $0 : nil }
                ?? Self.postmaster(in: region.postgres.dataDirectory)
        }
        let etcd = state.regions.compactMap { $0.etcd?.process }
        for group in [portals, databases + etcd, [state.wan.process].compactMap { $0 }] {
            // Each group stops in parallel; postgres gets SIGINT (fast shutdown: no waiting for clients).
            await withTaskGroup(of: Bool.self) { tasks in
                for record in group {
                    tasks.addTask {
                        let running = DetachedProcess.isRunning(record)
                        // A frozen process would not act on the signal.
                        DetachedProcess.signal(record, SIGCONT)
                        await DetachedProcess.stop(record, signal: record.executable == "postgres" ? SIGINT : SIGTERM)
                        return running
                    }
                }
                for await wasRunning in tasks where wasRunning { stopped += 1 }
            }
        }
        if purge { try removeLabFolder() }
        return stopped
    }

    /// The running postmaster of a data folder, from line 1 of its `postmaster.pid`.
    static func postmaster(in dataDirectory: String) -> LabState.ProcessRecord? {
        let file = (dataDirectory as NSString).appendingPathComponent("postmaster.pid")
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
            let pid = text.split(separator: "\n").first.flatMap({ Int32($0.trimmingCharacters(in: .whitespaces)) })
        else { return nil }
        let record = LabState.ProcessRecord(pid: pid, executable: "postgres", logFile: "")
        return DetachedProcess.isRunning(record) ? record : nil
    }

    private func removeLabFolder() throws {
        // Only a folder that looks like a lab: never delete an arbitrary path given by mistake.
        let marker = LabState.file(in: directory)
        let wan = (directory as NSString).appendingPathComponent("wan.json")
        guard
            FileManager.default.fileExists(atPath: marker) || FileManager.default.fileExists(atPath: wan)
                || (try? FileManager.default.contentsOfDirectory(atPath: directory))?.isEmpty == true
        else {
            throw LabError(.invalidConfiguration, "\(directory) is not a lab folder; not deleting it")
        }
        try FileManager.default.removeItem(atPath: directory)
    }
}
