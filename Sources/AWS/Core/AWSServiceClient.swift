import Foundation
import Logging

/// Signs and sends requests to one AWS service in one region, and turns error responses into `AWSError`.
/// The service clients (`RDSClient`, `Route53Client`, …) are thin typed layers over this.
public struct AWSServiceClient: Sendable {
    /// The service this client calls.
    public let service: AWSService
    /// The region requests are signed for.
    public let signingRegion: String
    /// Where requests go.
    public let endpoint: AWSEndpoint
    let signer: SigV4Signer
    let credentialsProvider: (any AWSCredentialsProvider)?
    let transport: any AWSHTTPTransport
    let timeout: Duration
    let logger: Logger
    let now: @Sendable () -> Date

    /// A client for `service` configured by `configuration`; `transport` and `now` are seams for tests.
    public init(
        service: AWSService, configuration: AWSClientConfiguration,
        transport: any AWSHTTPTransport = AsyncHTTPClientTransport(),
        logger: Logger = Logger(label: "aws"), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.service = service
        let region = service.globalHost == nil ? configuration.region : "us-east-1"
        self.signingRegion = region
        self.endpoint =
            configuration.endpointOverride
            ?? service.globalHost.map { AWSEndpoint(host: $0) }
            ?? AWSEndpoint.aws(service.endpointPrefix, region: region)
        self.signer = SigV4Signer(
            credentials: configuration.credentials, region: region, service: service.signingName)
        self.credentialsProvider = configuration.credentialsProvider
        self.transport = transport
        self.timeout = configuration.timeout
        self.logger = logger
        self.now = now
    }

    /// Sends one signed request; returns a 2xx response or throws `AWSError` with AWS's code and message.
    public func send(
        operation: String, method: String, path: String = "/", query: [QueryParameter] = [],
        headers: [String: String] = [:], body: Data = Data()
    ) async throws(AWSError) -> AWSHTTPResponse {
        let name = "\(service.endpointPrefix):\(operation)"
        let unsigned = AWSHTTPRequest(
            method: method, scheme: endpoint.scheme, host: endpoint.host, port: endpoint.port, path: path,
            query: query, headers: headers, body: body)
        var signer = self.signer
        if let credentialsProvider { signer.credentials = try await credentialsProvider.credentials() }
        let request = signer.signed(unsigned, at: now())
        var metadata: Logger.Metadata = [
            AWSLogMetadata.operation: "\(name)", AWSLogMetadata.region: "\(signingRegion)",
        ]
        logger.debug("AWS request", metadata: metadata)
        let response: AWSHTTPResponse
        do {
            response = try await transport.send(request, timeout: timeout)
        } catch {
            throw AWSError(.transportFailure, "\(endpoint) did not answer: \(error)", operation: name)
        }
        metadata[AWSLogMetadata.status] = "\(response.statusCode)"
        guard (200..<300).contains(response.statusCode) else {
            var failure = AWSErrorResponse.parse(response)
            failure.operation = name
            metadata[AWSLogMetadata.errorCode] = "\(failure.code)"
            logger.debug("AWS request failed", metadata: metadata)
            throw failure
        }
        logger.debug("AWS response", metadata: metadata)
        return response
    }
}

/// Reads the code and message out of an AWS error response, whichever protocol wrote it.
enum AWSErrorResponse {
    static func parse(_ response: AWSHTTPResponse) -> AWSError {
        let requestID = response.headers["x-amzn-requestid"] ?? response.headers["x-amz-request-id"]
        let status = response.statusCode
        if let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] {
            let rawType =
                response.headers["x-amzn-errortype"] ?? (object["__type"] as? String)
                ?? (object["code"] as? String) ?? (object["Code"] as? String)
            let message = (object["message"] as? String) ?? (object["Message"] as? String) ?? ""
            return AWSError(
                rawType.map { AWSError.Code(rawValue: shortCode($0)) } ?? .unknown, message, statusCode: status,
                requestID: requestID)
        }
        if let tree = try? XMLTree(parsing: response.body), let code = tree.first(named: "Code")?.text {
            return AWSError(
                AWSError.Code(rawValue: code), tree.first(named: "Message")?.text ?? "", statusCode: status,
                requestID: requestID ?? tree.first(named: "RequestId")?.text)
        }
        // A body that is neither JSON nor XML (a proxy's or emulator's HTML page): keep one short line of it.
        let excerpt = String(decoding: response.body.prefix(120), as: UTF8.self)
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return AWSError(
            response.headers["x-amzn-errortype"].map { AWSError.Code(rawValue: shortCode($0)) } ?? .unknown,
            excerpt.isEmpty ? "HTTP \(status) with no error body" : excerpt, statusCode: status,
            requestID: requestID)
    }

    /// `aws.protocoltests#ResourceNotFound` and `ResourceNotFound:http://…` both mean `ResourceNotFound`.
    static func shortCode(_ raw: String) -> String {
        let afterHash = raw.split(separator: "#").last.map(String.init) ?? raw
        return afterHash.split(separator: ":").first.map(String.init) ?? afterHash
    }
}
