import AsyncHTTPClient
import Foundation
import NIOCore

/// The few portal requests a drill makes, over one HTTP client, each bounded by a deadline so that no request
/// hangs on a cut-off region.
struct PortalClient: Sendable {
    let http: HTTPClient
    let baseURL: String
    let timeout: Duration

    /// An answer, with the top-level string and number fields of its JSON body.
    struct Reply: Sendable {
        var status: Int
        /// `X-Served-By-Region`.
        var region: String?
        /// `X-Consistency-Token`.
        var consistencyToken: String?
        /// The problem code of an error (`writes-unavailable` from `/problems/writes-unavailable`).
        var problem: String?
        /// `Retry-After`, in seconds.
        var retryAfter: Int?
        var fields: [String: String]
        /// The `email` of every object in the body's `accounts` array (an admin's account list).
        var listedEmails: [String] = []

        subscript(_ key: String) -> String? { fields[key] }
    }

    /// The methods the portal's API uses.
    enum Method: Sendable {
        case get, post, patch, delete
    }

    /// No answer: the deadline passed, or the connection failed.
    struct NoAnswer: Error, Sendable {
        var reason: String
    }

    /// One request. `body` is sent as JSON; `location` as `X-Client-Location`.
    func send(
        _ method: Method, _ path: String, body: [String: String]? = nil, bearer: String? = nil,
        location: String?, consistencyToken: String?
    ) async -> Result<Reply, NoAnswer> {
        var request = HTTPClientRequest(url: baseURL + path)
        switch method {
        case .get: request.method = .GET
        case .post: request.method = .POST
        case .patch: request.method = .PATCH
        case .delete: request.method = .DELETE
        }
        if let location { request.headers.add(name: "X-Client-Location", value: location) }
        if let consistencyToken { request.headers.add(name: "X-Consistency-Token", value: consistencyToken) }
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let body, let data = try? JSONSerialization.data(withJSONObject: body) {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        let client = http
        let timeout = timeout
        let prepared = request
        do {
            return .success(
                try await withThrowingTaskGroup(of: Reply.self) { group in
                    group.addTask {
                        let response = try await client.execute(prepared, timeout: TimeAmount(timeout))
                        let body = try await response.body.collect(upTo: 1 << 20)
                        return Self.reply(response, body: body)
                    }
                    group.addTask {
                        try await Task.sleep(for: timeout)
                        throw NoAnswer(reason: "timeout")
                    }
                    defer { group.cancelAll() }
                    return try await group.next()!
                })
        } catch let error as NoAnswer {
            return .failure(error)
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            return .failure(NoAnswer(reason: "timeout"))
        } catch {
            return .failure(NoAnswer(reason: Self.describe(error)))
        }
    }

    private static func reply(_ response: HTTPClientResponse, body: ByteBuffer) -> Reply {
        var fields: [String: String] = [:]
        var listedEmails: [String] = []
        if let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] {
            if let accounts = object["accounts"] as? [[String: Any]] {
                listedEmails = accounts.compactMap { $0["email"] as? String }
            }
            for (key, value) in object {
                if let text = value as? String {
                    fields[key] = text
                } else if let number = value as? NSNumber {
                    fields[key] = number.stringValue
                }
            }
        }
        let problem = fields["type"].flatMap { type in
            type.hasPrefix("/problems/") ? String(type.dropFirst("/problems/".count)) : nil
        }
        return Reply(
            status: Int(response.status.code), region: response.headers.first(name: "X-Served-By-Region"),
            consistencyToken: response.headers.first(name: "X-Consistency-Token"), problem: problem,
            retryAfter: response.headers.first(name: "Retry-After").flatMap { Int($0) }, fields: fields,
            listedEmails: listedEmails)
    }

    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 120 ? String(text.prefix(120)) : text
    }
}
