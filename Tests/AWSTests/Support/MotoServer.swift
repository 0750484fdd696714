import AWS
import Foundation
import StandInServers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A moto server (local AWS API emulator) on a loopback port, started for one test.
struct MotoServer: Sendable {
    /// The port it listens on.
    let port: Int
    /// `http://127.0.0.1:PORT`.
    var url: String { "http://127.0.0.1:\(port)" }
    /// The endpoint override for clients.
    var endpoint: AWSEndpoint { AWSEndpoint(scheme: "http", host: "127.0.0.1", port: port) }

    /// Credentials moto accepts (it checks the signature's shape, not the key).
    static let credentials = AWSCredentials(accessKeyID: "AKIDMOTOTESTING", secretAccessKey: "motosecret")

    /// A client configuration pointing at this server.
    func configuration(region: String = "us-east-1") -> AWSClientConfiguration {
        AWSClientConfiguration(
            credentials: Self.credentials, region: region, endpointOverride: endpoint, timeout: .seconds(20))
    }

    /// Runs a boto3 script against this server: `moto` is the endpoint URL, `client(service, region)` a boto3
    /// client; whatever the script prints is returned.
    func boto3(_ body: String) async throws -> String {
        let script = """
            import boto3, json, os, sys
            moto = os.environ["MOTO_URL"]
            def client(service, region="us-east-1"):
                return boto3.client(service, region_name=region, endpoint_url=moto,
                    aws_access_key_id="AKIDMOTOTESTING", aws_secret_access_key="motosecret")

            """ + body
        return try await runPython(script, environment: ["MOTO_URL": url])
    }
}

/// One moto server at a time: each is a Python process that loads botocore's models, and on two cores,
/// beside the rest of the test suite, several at once made their answers pass the clients' timeouts (CI, session 9).
let motoServers = TestSlots(capacity: 1)

/// Starts `moto_server -H 127.0.0.1 -p PORT` on a free port, waits until it accepts connections, runs `body`,
/// and stops the server by its pid afterwards, also when `body` throws. Fails (never skips) without moto.
/// Waits for a turn first (`motoServers`).
func withMotoServer<Result>(_ body: (MotoServer) async throws -> Result) async throws -> Result {
    try await motoServers.withSlot { try await runMotoServer(body) }
}

private func runMotoServer<Result>(_ body: (MotoServer) async throws -> Result) async throws -> Result {
    guard let motoServer = executable(named: "moto_server") else {
        throw ExternalToolFailure(
            description: "moto_server is not on PATH: install it with pip install \"moto[server]\" boto3")
    }
    let port = try freeLoopbackPort()
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("moto-\(port).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let process = Process()
    process.executableURL = motoServer
    process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
    process.standardOutput = try FileHandle(forWritingTo: log)
    process.standardError = process.standardOutput
    try process.run()
    do {
        let result = try await serve(process, port: port, log: log, body)
        await stop(process)
        try? FileManager.default.removeItem(at: log)
        return result
    } catch {
        await stop(process)
        try? FileManager.default.removeItem(at: log)
        throw error
    }
}

/// Waits until the server listens, then runs `body` against it.
private func serve<Result>(
    _ process: Process, port: Int, log: URL, _ body: (MotoServer) async throws -> Result
) async throws -> Result {
    let deadline = ContinuousClock.now.advanced(by: .seconds(60))
    while !canConnect(port: port) {
        guard process.isRunning else {
            let output = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
            throw ExternalToolFailure(description: "moto_server exited at start: \(output.suffix(1000))")
        }
        guard ContinuousClock.now < deadline else {
            throw ExternalToolFailure(description: "moto_server did not listen on 127.0.0.1:\(port) within 60 s")
        }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await body(MotoServer(port: port))
}

/// SIGTERM to the server's pid; SIGKILL if it has not exited after five seconds. Waits by sleeping, not by
/// blocking: the test process's cooperative threads are one per core, and every portal in it needs them.
private func stop(_ process: Process) async {
    guard process.isRunning else { return }
    let pid = process.processIdentifier
    kill(pid, SIGTERM)
    let deadline = ContinuousClock.now + .seconds(5)
    while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
    if process.isRunning { kill(pid, SIGKILL) }
    while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
func freeLoopbackPort() throws -> Int {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw ExternalToolFailure(description: "socket() failed: errno \(errno)") }
    defer { close(socketFD) }
    var address = loopbackAddress(port: 0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0 else { throw ExternalToolFailure(description: "bind() failed: errno \(errno)") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
    }
    guard named == 0 else { throw ExternalToolFailure(description: "getsockname() failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func canConnect(port: Int) -> Bool {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { return false }
    defer { close(socketFD) }
    var address = loopbackAddress(port: port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}

private func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}
