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

    func notify(_ alarm: Alarm, at time: Date) async {
        let notification = Notification(
            time: time, alarm: alarm.name, state: alarm.state.rawValue, reason: alarm.reason, deployment: deployment,
            page: alarm.state == .alarm ? page : [])
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        guard var body = try? encoder.encode(notification) else { return }
        for webhook in webhooks {
            var request = HTTPClientRequest(url: webhook)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(2))
                _ = try await response.body.collect(upTo: 64 * 1024)
                if response.status.code >= 300 {
                    logger.warning("webhook refused the notification", metadata: ["status": "\(response.status.code)"])
                }
            } catch {
                logger.warning("webhook failed", metadata: ["error": "\(error)"])
            }
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
}
