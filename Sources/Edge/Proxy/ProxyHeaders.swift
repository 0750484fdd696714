import Failover
import Foundation
import NIOHTTP1

/// The edge's own header names and the header rewriting of a reverse proxy (RFC 9110 §7.6.1).
enum ProxyHeaders {
    /// Headers that describe one connection, not the message: never forwarded. Framing headers are dropped too,
    /// because the proxy frames the forwarded body itself; `Host` is the endpoint's.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "content-length", "host",
    ]

    /// The client's headers for the endpoint: hop-by-hop ones (and any the `Connection` header names) removed,
    /// `X-Forwarded-For`, `-Host`, `-Proto` and the request id added.
    static func upstream(_ fields: HTTPHeaders, clientAddress: String?, authority: String?, requestID: String)
        -> HTTPHeaders
    {
        let named = connectionNamed(fields)
        var headers = HTTPHeaders()
        headers.reserveCapacity(fields.count + 4)
        var forwardedFor: [String] = []
        var forwardedHost = false
        var forwardedProto = false
        for (name, value) in fields {
            let lower = name.lowercased()
            if hopByHop.contains(lower) || named.contains(lower) || lower == "x-request-id" { continue }
            switch lower {
            case "x-forwarded-for":
                forwardedFor.append(value)
                continue
            case "x-forwarded-host": forwardedHost = true
            case "x-forwarded-proto": forwardedProto = true
            default: break
            }
            headers.add(name: name, value: value)
        }
        if let clientAddress { forwardedFor.append(clientAddress) }
        if !forwardedFor.isEmpty { headers.add(name: "X-Forwarded-For", value: forwardedFor.joined(separator: ", ")) }
        if let authority, !forwardedHost { headers.add(name: "X-Forwarded-Host", value: authority) }
        if !forwardedProto { headers.add(name: "X-Forwarded-Proto", value: "http") }
        headers.add(name: "X-Request-Id", value: requestID)
        return headers
    }

    /// The endpoint's headers for the client, without hop-by-hop ones; `Content-Length` is kept so that the
    /// response keeps its framing (a response without it goes to the client chunked).
    static func downstream(_ headers: HTTPHeaders) -> HTTPHeaders {
        let named = connectionNamed(headers)
        var fields = HTTPHeaders()
        fields.reserveCapacity(headers.count + 3)
        for (name, value) in headers {
            let lower = name.lowercased()
            if lower != "content-length", hopByHop.contains(lower) || named.contains(lower) { continue }
            fields.add(name: name, value: value)
        }
        return fields
    }

    private static func connectionNamed(_ headers: HTTPHeaders) -> Set<String> {
        guard headers.contains(name: "connection") else { return [] }
        return Set(
            headers["connection"].flatMap { $0.split(separator: ",") }.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            })
    }

    /// The client's request id when it sent a sane one, else a new one from `random` (the connection's).
    static func requestID(from headers: HTTPHeaders, random: inout some RandomNumberGenerator) -> String {
        if let given = headers.first(name: "x-request-id"), !given.isEmpty, given.utf8.count <= 200,
            given.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        {
            return given
        }
        return RequestID.make(using: &random)
    }
}
