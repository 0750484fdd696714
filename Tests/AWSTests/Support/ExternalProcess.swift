import Foundation

/// Why a test's external tool could not do its part; the message says what to install or what went wrong.
struct ExternalToolFailure: Error, CustomStringConvertible {
    let description: String
}

/// The first executable called `name` on `PATH`.
func executable(named name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
    }
    return nil
}

/// Runs `python3 -c script` with `input` on stdin; returns stdout, or throws with stderr when it fails.
/// boto3 and botocore read the test credentials and `MOTO_URL` from `environment`.
func runPython(_ script: String, input: String = "", environment: [String: String] = [:]) async throws -> String {
    guard let python = executable(named: "python3") else {
        throw ExternalToolFailure(
            description: "python3 is not on PATH; the AWS tests need python3 with botocore and boto3")
    }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aws-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let inputFile = directory.appendingPathComponent("stdin")
    let outputFile = directory.appendingPathComponent("stdout")
    let errorFile = directory.appendingPathComponent("stderr")
    try Data(input.utf8).write(to: inputFile)
    _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)

    let process = Process()
    process.executableURL = python
    process.arguments = ["-c", script]
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    process.standardInput = try FileHandle(forReadingFrom: inputFile)
    process.standardOutput = try FileHandle(forWritingTo: outputFile)
    process.standardError = try FileHandle(forWritingTo: errorFile)
    try await exitStatus(of: process)
    let output = String(decoding: (try? Data(contentsOf: outputFile)) ?? Data(), as: UTF8.self)
    guard process.terminationStatus == 0 else {
        let errors = String(decoding: (try? Data(contentsOf: errorFile)) ?? Data(), as: UTF8.self)
        throw ExternalToolFailure(description: "python3 failed (\(process.terminationStatus)): \(errors.suffix(2000))")
    }
    return output
}

/// Runs `process` and waits for its exit without holding a thread of Swift's cooperative pool (a test's server
/// in the same process needs them all).
func exitStatus(of process: Process) async throws {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        process.terminationHandler = { _ in continuation.resume() }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
        }
    }
}
