import AsyncHTTPClient
import Failover
import Foundation
import Logging
import NIOCore

/// Sends every alarm change to the configured targets: a JSON line in a file and a JSON POST to each webhook
/// (the CloudWatch alarm → SNS part). A webhook that fails is logged and does not stop the controller.
struct Notifier: Sendable {
    struct Notification: Codable, Sendable {
        var time: Date
        var alarm: String
        var state: String
        var reason: String
        var deployment: String
        /// Whom to page, in escalation order.
        var page: [String]
    }

    let file: String
    let webhooks: [String]
    let page: [String]
    let deployment: String
    let logger: Logger

    /// Records the change in the alarm file at once and sends it to every webhook in the background, each on its
    /// own with retries (0.5 s, 1 s, 2 s apart), so a slow or dead receiver (one in the failed region, say) never
    /// delays detection or the failover that follows.
    func notify(_ alarm: Alarm, at time: Date) {
        let notification = Notification(
            time: time, alarm: alarm.name, state: alarm.state.rawValue, reason: alarm.reason, deployment: deployment,
            page: alarm.state == .alarm ? page : [])
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        guard var body = try? encoder.encode(notification) else { return }
        for webhook in webhooks {
            Task { [logger, body] in await Self.deliver(body, to: webhook, logger: logger) }
        }
        body.append(0x0A)
        if !FileManager.default.fileExists(atPath: file) {
            try? FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: file, contents: nil)
        }
        if let handle = FileHandle(forWritingAtPath: file) {
            handle.seekToEndOfFile()
            handle.write(body)
            try? handle.close()
        }
    }

    static func deliver(_ body: Data, to webhook: String, logger: Logger) async {
        for (attempt, pause) in [Duration.zero, .milliseconds(500), .seconds(1), .seconds(2)].enumerated() {
            if pause > .zero { try? await Task.sleep(for: pause) }
            var request = HTTPClientRequest(url: webhook)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(2))
                _ = try await response.body.collect(upTo: 64 * 1024)
                if response.status.code < 300 { return }
                // A receiver that refuses the body (4xx) would refuse it again.
                if response.status.code < 500 {
                    logger.warning("webhook refused the notification", metadata: ["status": "\(response.status.code)"])
                    return
                }
            } catch {
                logger.warning("webhook failed", metadata: ["error": "\(error)", "attempt": "\(attempt + 1)"])
            }
        }
    }
}
