import Foundation

extension AWSServiceClient {
    /// Calls an operation of a query-protocol service (RDS, CloudWatch): a form-encoded `POST /` with `Action` and
    /// `Version`; returns the `<OperationResult>` element of the XML response (or the root when there is none).
    public func query(_ operation: String, _ parameters: [QueryParameter]) async throws(AWSError) -> XMLTree {
        let body = AWSURIEncoding.formBody(
            [QueryParameter("Action", operation), QueryParameter("Version", service.apiVersion)] + parameters)
        let response = try await send(
            operation: operation, method: "POST",
            headers: ["content-type": "application/x-www-form-urlencoded; charset=utf-8"], body: body)
        if response.body.isEmpty { return XMLTree(name: "\(operation)Result") }
        let tree = try Self.parse(response, operation: "\(service.endpointPrefix):\(operation)")
        return tree.child("\(operation)Result") ?? tree
    }

    static func parse(_ response: AWSHTTPResponse, operation: String) throws(AWSError) -> XMLTree {
        do {
            return try XMLTree(parsing: response.body)
        } catch {
            var failure = error
            failure.operation = operation
            failure.statusCode = response.statusCode
            throw failure
        }
    }
}

/// Builds the flattened parameters of the query protocol: `Names.member.1`, `MetricData.member.1.Value`, ….
public struct QueryParameters: Sendable {
    /// The parameters so far, in order.
    public private(set) var parameters: [QueryParameter] = []

    /// An empty parameter list.
    public init() {}

    /// Adds `name=value` when the value is present.
    public mutating func add(_ name: String, _ value: String?) {
        if let value { parameters.append(QueryParameter(name, value)) }
    }

    /// Adds a list as `name.member.N` (or `name.<memberName>.N`), numbered from 1.
    public mutating func add(_ name: String, list: [String], memberName: String = "member") {
        for (index, value) in list.enumerated() { add("\(name).\(memberName).\(index + 1)", value) }
    }

    /// Adds a list of structures as `name.member.N.Field`.
    public mutating func add<Element>(
        _ name: String, structures: [Element], memberName: String = "member",
        _ fields: (Element, _ prefix: String, inout QueryParameters) -> Void
    ) {
        for (index, element) in structures.enumerated() {
            fields(element, "\(name).\(memberName).\(index + 1).", &self)
        }
    }
}
