import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// HTTP/1.1 from a chosen loopback source address (127.0.0.2 …), which URLSession cannot do: what a customer on
/// another machine looks like to the edge, and to a portal reached directly. One request per connection.
enum SourceAddressHTTP {
    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func post(
        from source: String, to url: String, json: [String: String], headers: [String: String] = [:]
    ) async throws -> Reply {
        let body = try JSONSerialization.data(withJSONObject: json)
        return try await send(
            "POST", from: source, to: url, body: body,
            headers: headers.merging(["Content-Type": "application/json"]) { $1 })
    }

    static func send(
        _ method: String, from source: String, to url: String, body: Data = Data(), headers: [String: String] = [:]
    ) async throws -> Reply {
        guard let parsed = URL(string: url), let port = parsed.port else {
            throw Failure(description: "bad URL \(url)")
        }
        let path = parsed.path.isEmpty ? "/" : parsed.path
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(parsed.host ?? "127.0.0.1"):\(port)\r\nConnection: close\r\n"
        head += "Content-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let request = Data((head + "\r\n").utf8) + body
        // Blocking socket calls run off the cooperative pool.
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try exchange(request, from: source, port: UInt16(port)) })
            }
        }
    }

    private static func exchange(_ request: Data, from source: String, port: UInt16) throws -> Reply {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(errno)") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        func address(_ host: String, _ port: UInt16) -> sockaddr_in {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            return address
        }
        var local = address(source, 0)
        var remote = address("127.0.0.1", port)
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard
            withUnsafePointer(
                to: &local, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, size) } })
                == 0
        else { throw Failure(description: "bind \(source): \(errno)") }
        guard
            withUnsafePointer(
                to: &remote, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, size) } })
                == 0
        else { throw Failure(description: "connect 127.0.0.1:\(port): \(errno)") }
        let sent = request.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { throw Failure(description: "send: \(errno)") }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count < 0 { throw Failure(description: "recv: \(errno) after \(response.count) bytes") }
            if count == 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else {
            throw Failure(description: "no HTTP answer: \(text.prefix(200))")
        }
        let lines = text[..<split.lowerBound].split(separator: "\r\n")
        guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "")
        else { throw Failure(description: "bad status line: \(lines.first ?? "")") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        var body = String(text[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Reply(status: status, headers: headers, body: body)
    }

    /// The body of a chunked answer (sizes in hex, each chunk followed by CRLF).
    private static func dechunk(_ text: String) -> String {
        var rest = Substring(text)
        var body = ""
        while let end = rest.range(of: "\r\n"), let size = Int(rest[..<end.lowerBound], radix: 16), size > 0 {
            let start = end.upperBound
            let chunkEnd = rest.index(start, offsetBy: size, limitedBy: rest.endIndex) ?? rest.endIndex
            body += rest[start..<chunkEnd]
            rest = rest[chunkEnd...].dropFirst(2)
        }
        return body
    }
}
