import Foundation
import HTTPTypes
import NIOHTTP1

/// The edge's own header names and the header rewriting of a reverse proxy (RFC 9110 §7.6.1).
enum ProxyHeaders {
    static let clientLocation = HTTPField.Name("X-Client-Location")!
    static let servedByRegion = HTTPField.Name("X-Served-By-Region")!
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let failOpen = HTTPField.Name("X-Edge-Fail-Open")!
    static let forwardedFor = "X-Forwarded-For"

    /// Headers that describe one connection, not the message: never forwarded. Framing headers are dropped too,
    /// because the outgoing body sets its own length.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "content-length", "host",
    ]

    /// The client's headers for the endpoint: hop-by-hop ones (and any the `Connection` header names) removed,
    /// `X-Forwarded-For`, `-Host`, `-Proto` and the request id added.
    static func upstream(_ fields: HTTPFields, clientAddress: String?, authority: String?, requestID: String)
        -> HTTPHeaders
    {
        let named = connectionNamed(fields)
        var headers = HTTPHeaders()
        var forwardedFor: [String] = []
        for field in fields {
            let name = field.name.canonicalName
            if hopByHop.contains(name) || named.contains(name) || name == "x-request-id" { continue }
            if name == "x-forwarded-for" {
                forwardedFor.append(field.value)
                continue
            }
            headers.add(name: field.name.rawName, value: field.value)
        }
        if let clientAddress { forwardedFor.append(clientAddress) }
        if !forwardedFor.isEmpty { headers.add(name: Self.forwardedFor, value: forwardedFor.joined(separator: ", ")) }
        if let authority, !headers.contains(name: "X-Forwarded-Host") {
            headers.add(name: "X-Forwarded-Host", value: authority)
        }
        if !headers.contains(name: "X-Forwarded-Proto") { headers.add(name: "X-Forwarded-Proto", value: "http") }
        headers.add(name: "X-Request-Id", value: requestID)
        return headers
    }

    /// The endpoint's headers for the client, without hop-by-hop ones; `Content-Length` is kept so that the
    /// response keeps its framing.
    static func downstream(_ headers: HTTPHeaders) -> HTTPFields {
        let named = Set(
            headers["connection"].flatMap { $0.split(separator: ",") }.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            })
        var fields = HTTPFields()
        for (name, value) in headers {
            let lower = name.lowercased()
            if lower != "content-length", hopByHop.contains(lower) || named.contains(lower) { continue }
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return fields
    }

    private static func connectionNamed(_ fields: HTTPFields) -> Set<String> {
        Set(
            fields[values: .connection].flatMap { $0.split(separator: ",") }.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            })
    }

    /// The client's request id when it sent a sane one, else a new one.
    static func requestID(from fields: HTTPFields) -> String {
        if let given = fields[requestID], !given.isEmpty, given.utf8.count <= 200,
            given.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        {
            return given
        }
        return UUID().uuidString.lowercased()
    }
}
