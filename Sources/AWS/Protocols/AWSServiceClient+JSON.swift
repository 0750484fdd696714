import Foundation

extension AWSServiceClient {
    /// Calls an operation of a JSON 1.1 service (`POST /`, `X-Amz-Target: Prefix.Operation`).
    public func json<Output: Decodable>(
        _ operation: String, _ input: some Encodable, as output: Output.Type = Output.self
    ) async throws(AWSError) -> Output {
        let body: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            body = try encoder.encode(input)
        } catch {
            throw AWSError(.invalidConfiguration, "cannot encode \(operation) input: \(error)")
        }
        let response = try await send(
            operation: operation, method: "POST",
            headers: [
                "content-type": "application/x-amz-json-1.1",
                "x-amz-target": "\(service.targetPrefix ?? service.endpointPrefix).\(operation)",
            ],
            body: body)
        do {
            return try JSONDecoder().decode(Output.self, from: response.body.isEmpty ? Data("{}".utf8) : response.body)
        } catch {
            throw AWSError(
                .invalidResponse, "cannot read the \(operation) response: \(error)",
                statusCode: response.statusCode, operation: "\(service.endpointPrefix):\(operation)")
        }
    }
}

/// The output of an operation that returns nothing of interest.
public struct AWSEmptyOutput: Decodable, Hashable, Sendable {}
