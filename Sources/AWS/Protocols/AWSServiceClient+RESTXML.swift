import Foundation

extension AWSServiceClient {
    /// Calls an operation of a REST-XML service (Route 53): the method and path name the operation; an XML body
    /// when given. Returns the root element of the response.
    public func restXML(
        _ operation: String, method: String, path: String, query: [QueryParameter] = [], body: String? = nil
    ) async throws(AWSError) -> XMLTree {
        let response = try await send(
            operation: operation, method: method, path: path, query: query,
            headers: body == nil ? [:] : ["content-type": "application/xml"], body: Data((body ?? "").utf8))
        if response.body.isEmpty { return XMLTree(name: "\(operation)Response") }
        return try Self.parse(response, operation: "\(service.endpointPrefix):\(operation)")
    }
}
