import Foundation
import Lab
import LocalPostgres

#if canImport(Glibc)
    import Glibc
#endif

/// Headless Chromium for one test, driven over the DevTools protocol by `cdp.py` (next to this file): its own
/// profile folder, the debugging port it picked itself, and stopped by pid afterwards with every process it
/// started.
struct HeadlessBrowser {
    let process: Process
    let port: Int
    let folder: URL

    static var driver: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("cdp.py").path
    }

    static func executable() -> String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Runs `body` with a browser whose profile lives in `folder`; the browser is stopped also when `body` throws.
    static func with<T>(in folder: URL, _ body: (HeadlessBrowser) async throws -> T) async throws -> T {
        guard let executable = executable() else {
            throw TestFailure("no Chromium: apt-get install -y chromium (.ci/run installs it)")
        }
        let profile = folder.appendingPathComponent("chromium-profile")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // Root needs --no-sandbox; port 0 lets Chromium pick a free port and write it to DevToolsActivePort.
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--user-data-dir=\(profile.path)",
            "--window-size=1280,1000", "about:blank",
        ]
        let log = folder.appendingPathComponent("chromium.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try PostgresTools.launch(process)
        let result: Result<T, any Error>
        do {
            let port = try await waitForPort(profile.appendingPathComponent("DevToolsActivePort"), process: process)
            let browser = HeadlessBrowser(process: process, port: port, folder: folder)
            // The page target appears a moment after the port.
            try await browser.waitUntilReady()
            result = .success(try await body(browser))
        } catch {
            result = .failure(error)
        }
        await stop(process)
        // The screenshots stay for whoever looks into a failure; the profile (tens of MB) goes.
        try? FileManager.default.removeItem(at: profile)
        return try result.get()
    }

    private static func waitForPort(_ file: URL, process: Process) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOf: file, encoding: .utf8),
                let port = text.split(separator: "\n").first.flatMap({ Int($0) })
            {
                return port
            }
            guard process.isRunning else { throw TestFailure("Chromium exited at start") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("Chromium wrote no DevToolsActivePort within 60 s")
    }

    private func waitUntilReady() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                _ = try await evaluate("1")
                return
            } catch {
                guard ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// SIGTERM, then SIGKILL after 10 s; then every process the browser had started that is still alive (by the
    /// pids read from /proc before it was stopped).
    private static func stop(_ process: Process) async {
        let children = DetachedProcess.descendants(of: process.processIdentifier)
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        for child in children where kill(child, 0) == 0 { kill(child, SIGKILL) }
    }

    // MARK: The page

    func navigate(_ url: String) async throws { _ = try await drive(["navigate", url]) }

    /// The value of a JavaScript expression in the page, as JSON text.
    func evaluate(_ expression: String) async throws -> String { try await drive(["eval", expression]) }

    /// Waits until `expression` is truthy in the page (polled every 50 ms); the browser's clock when it first held.
    @discardableResult
    func wait(_ expression: String, limit: Duration = .seconds(60)) async throws -> Date {
        let answer = try await drive(["wait", expression, String(limit.components.seconds)])
        let object = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any]
        guard let at = object?["at"] as? Double else { throw TestFailure("cdp.py wait answered \(answer)") }
        return Date(timeIntervalSince1970: at / 1000)
    }

    func screenshot(_ name: String) async throws -> URL {
        let file = folder.appendingPathComponent(name)
        _ = try await drive(["screenshot", file.path])
        return file
    }

    private func drive(_ arguments: [String]) async throws -> String {
        let (exited, output, errors) = try await ChildProgram.run(
            "/usr/bin/env", ["python3", Self.driver, String(port)] + arguments, limit: .seconds(180))
        // cdp.py reports every failure on stderr: with the status unknown, that decides.
        guard exited == 0 || (exited == nil && errors.isEmpty) else {
            throw TestFailure(
                "cdp.py \(arguments.first ?? ""): \(errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

}
