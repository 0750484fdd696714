import Controller
import Failover
import Foundation
import Lab
import Logging
import Testing

/// The status page in a real browser (headless Chromium) on a running lab: signed in by the URL `drctl ui`
/// prints, it shows every region healthy, acts through a confirmed button, and then — without a reload — shows a
/// crashed primary region down, the failover's steps in order and the new primary. Screenshots of each state land
/// in the test's folder; with `STATUS_PAGE_SCREENSHOTS=DIR` the failover's is also copied to DIR (the README's).
@Suite(.serialized) struct StatusPageBrowserTests {
    static let logger: Logger = {
        var logger = Logger(label: "status-page-test")
        logger.logLevel = .warning
        return logger
    }()

    func region(_ name: String) -> String { "document.querySelector('.region[data-region=\"\(name)\"]')" }

    @Test func thePageShowsACrashAndItsFailoverLiveWithoutAReload() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "status-page-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try await withLab({ configuration in
            configuration.regions = ["us-east-1", "eu-west-1", "ap-southeast-2"]
            // What `drctl lab up --page-actions --dir …` saves for the replicas.
            try? FileManager.default.createDirectory(atPath: configuration.directory, withIntermediateDirectories: true)
            try? StatusPageSettings(
                actions: true, commandSuffix: "--dir \(configuration.directory)", drillHistory: Self.drillHistory
            ).save(inLab: configuration.directory)
        }) { deployment, state in
            let client = ControllerClient(baseURLs: state.controllerURLs, token: state.controlToken)
            // `drctl ui` prints the leader's page with the token.
            let printed = try await runDrctl(["ui", "--dir", deployment.directory])
            let leader = try await client.status().leader
            let leaderURL = try #require(state.regions.first { $0.name == leader }?.controller?.url)
            #expect(printed.hasPrefix(leaderURL + "/ui?token="), "drctl ui printed \(printed)")
            // The crash takes the primary region's replica with it: watch from a replica elsewhere (a follower's
            // page shows the leader's status just the same).
            let watched = leader == "us-east-1" ? try #require(state.regions[1].controller?.url) : leaderURL
            let page = watched + "/ui?token=" + String(printed.split(separator: "=", maxSplits: 1)[1])
            #expect(try await HTTP.send("GET", watched + "/ui").status == 401, "the page without the credential")
            #expect(try await HTTP.send("GET", watched + "/ui/stream").status == 401)

            try await HeadlessBrowser.with(in: folder) { browser in
                try await browser.navigate(page)
                try await browser.wait(
                    "document.querySelectorAll('.region[data-condition=\"healthy\"]').length === 3 && "
                        + "document.getElementById('connection').textContent === 'live' && "
                        + "location.search === ''")
                #expect(try await browser.evaluate("\(region("us-east-1")).dataset.primary") == "\"true\"")
                #expect(
                    try await browser.evaluate("document.querySelectorAll('#drills tr[data-scenario]').length") != "0")
                // Customers sign up through the edge all along, so the charts have requests (and the failover's
                // errors) to show.
                let edge = try #require(state.edge?.url)
                let customers = Task {
                    var index = 0
                    while !Task.isCancelled {
                        index += 1
                        _ = try? await HTTP.send(
                            "POST", edge + "/v1/accounts",
                            json: [
                                "email": "page-\(index)@example.com", "password": "correct horse battery staple 9",
                                "displayName": "Page",
                            ], timeout: 5)
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                }
                defer { customers.cancel() }
                try await browser.wait(
                    "[...document.querySelectorAll('[data-chart=\"requests through the edge\"] li')]"
                        + ".some(li => !li.textContent.endsWith(': 0.0 /s') && !li.textContent.endsWith('–'))")
                _ = try await browser.screenshot("1-healthy.png")

                // An action through the page: the button asks first and shows the command it equals.
                _ = try await browser.evaluate(
                    "\(region("ap-southeast-2")).querySelector('button[data-command^=\"drctl drain\"]').click()"
                )
                try await browser.wait(
                    "document.getElementById('confirm').open && document.getElementById('confirmCommand')"
                        + ".textContent === 'drctl drain ap-southeast-2 --dir \(deployment.directory)'")
                _ = try await browser.screenshot("2-confirm-drain.png")
                _ = try await browser.evaluate("document.getElementById('confirmOk').click()")
                try await browser.wait("\(region("ap-southeast-2")).dataset.drained === 'true'")
                #expect(try await client.status().regions.first { $0.name == "ap-southeast-2" }?.drained == true)
                _ = try await browser.evaluate(
                    "\(region("ap-southeast-2")).querySelector('button[data-command^=\"drctl undrain\"]').click()"
                )
                try await browser.wait("document.getElementById('confirm').open")
                _ = try await browser.evaluate("document.getElementById('confirmOk').click()")
                try await browser.wait("\(region("ap-southeast-2")).dataset.drained === 'false'")

                // The crash, seen live.
                let fault = Date()
                try await LabFaultInjector(deployment: deployment, logger: Self.logger).inject(
                    .crash, into: "us-east-1")
                let shownDown = try await browser.wait(
                    "['unreachable', 'portal-down', 'database-down'].includes(\(region("us-east-1")).dataset.condition)"
                )
                print(
                    "status page: fault → us-east-1 shown down after "
                        + String(format: "%.2f", shownDown.timeIntervalSince(fault)) + " s")
                _ = try await browser.screenshot("3-region-down.png")
                try await browser.wait(
                    "document.querySelector('.region[data-primary=\"true\"]').dataset.region !== 'us-east-1' && "
                        + "document.querySelector('.region[data-primary=\"true\"]').dataset.role === 'primary' && "
                        + "document.querySelector('#operation [data-running=\"false\"]') !== null",
                    limit: .seconds(90))
                let shownFailedOver = Date()
                print(
                    "status page: fault → new primary and finished failover shown after "
                        + String(format: "%.2f", shownFailedOver.timeIntervalSince(fault)) + " s")
                let status = try await client.status()
                let newPrimary = try await browser.evaluate(
                    "document.querySelector('.region[data-primary=\"true\"]').dataset.region")
                #expect(newPrimary == "\"\(status.primary)\"")
                // Every step of the failover, in the order it ran, in the page's timeline.
                let steps = try await browser.evaluate(
                    "(() => { const op = document.querySelector('#operation [data-operation]').dataset.operation; "
                        + "return [...document.querySelectorAll('#timeline li')].reverse()"
                        + ".filter(li => li.dataset.operation === op && li.dataset.step).map(li => li.dataset.step); })()"
                )
                let order = try JSONDecoder().decode([String].self, from: Data(steps.utf8)).reduce(into: [String]()) {
                    if !$0.contains($1) { $0.append($1) }
                }
                #expect(order == ["fence", "select", "promote", "repoint", "writer", "traffic"], "\(order)")
                let marked = try await browser.evaluate(
                    "[...document.querySelectorAll('#operation li[data-state=\"done\"]')].map(li => li.dataset.step)")
                #expect(marked.contains("\"traffic\"") && marked.contains("\"done\""), "\(marked)")
                let shot = try await browser.screenshot("4-failed-over.png")
                if let target = ProcessInfo.processInfo.environment["STATUS_PAGE_SCREENSHOTS"] {
                    let destination = URL(fileURLWithPath: target).appendingPathComponent("status-page-failover.png")
                    try? FileManager.default.removeItem(at: destination)
                    try FileManager.default.copyItem(at: shot, to: destination)
                }
            }
        }
        print("status page screenshots: \(folder.path)")
    }

    /// The repository's drill history (the page shows it against the objectives).
    static var drillHistory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../docs/drills/history.jsonl"
        )
        .standardizedFileURL.path
    }

    func runDrctl(_ arguments: [String]) async throws -> String {
        let (status, output, _) = try await ChildProgram.run(BuiltProducts.drctl, arguments, limit: .seconds(120))
        guard status == 0 || status == nil else {
            throw TestFailure("drctl \(arguments.joined(separator: " ")) exited \(status ?? -1)")
        }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
