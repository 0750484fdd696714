import AWS
import Foundation
import Synchronization

/// A transport that records every request and answers from a canned function: how the tests see exactly what a
/// client sends to calls that moto does not implement (Global Accelerator, Aurora switchover and failover).
final class RecordingTransport: AWSHTTPTransport {
    private let recorded = Mutex<[AWSHTTPRequest]>([])
    private let respond: @Sendable (AWSHTTPRequest) -> AWSHTTPResponse

    /// A transport answering each request with `respond(request)`.
    init(_ respond: @escaping @Sendable (AWSHTTPRequest) -> AWSHTTPResponse) {
        self.respond = respond
    }

    /// A transport answering every request with `status` and `body`.
    convenience init(status: Int = 200, body: String) {
        self.init { _ in AWSHTTPResponse(statusCode: status, body: Data(body.utf8)) }
    }

    /// The requests so far, in order.
    var requests: [AWSHTTPRequest] { recorded.withLock { $0 } }

    func send(_ request: AWSHTTPRequest, timeout: Duration) async throws -> AWSHTTPResponse {
        recorded.withLock { $0.append(request) }
        return respond(request)
    }
}

/// A JSON 1.1 request's `X-Amz-Target` operation name.
func jsonOperation(_ request: AWSHTTPRequest) -> String? {
    request.headers["x-amz-target"]?.split(separator: ".").last.map(String.init)
}

/// A query-protocol request's `Action`.
func queryAction(_ request: AWSHTTPRequest) -> String? {
    String(decoding: request.body, as: UTF8.self).split(separator: "&")
        .first { $0.hasPrefix("Action=") }.map { String($0.dropFirst("Action=".count)) }
}

/// Test credentials that sign but open nothing.
let testCredentials = AWSCredentials(
    accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

/// A session whose requests go to `transport`.
func recordingSession(_ transport: RecordingTransport, region: String = "us-east-1") -> AWSSession {
    AWSSession(
        configuration: AWSClientConfiguration(credentials: testCredentials, region: region), transport: transport)
}
