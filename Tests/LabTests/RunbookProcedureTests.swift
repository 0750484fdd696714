import DRConfiguration
import Foundation
import Lab
import Runbook
import Testing

/// Issue 7: the manual procedures of the rendered runbook, executed command by command against a real lab, so
/// that a runbook whose commands stop working fails CI.
@Suite(.serialized) struct RunbookProcedureTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The `drctl` commands of each procedure (steps and their checks), by the procedure's heading.
    static func procedures(_ document: RunbookDocument) -> [String: [ShellCommand]] {
        var current: String?
        var found: [String: [ShellCommand]] = [:]
        for block in document.blocks {
            switch block {
            case .heading(_, let text, _):
                current = text
            case .step(let step):
                if let current {
                    found[current, default: []] += (step.commands + step.verifyCommands).filter(\.isDrctl)
                }
            case .commands(let commands):
                if let current { found[current, default: []] += commands.filter(\.isDrctl) }
            default:
                break
            }
        }
        return found
    }

    func run(_ command: ShellCommand) async throws -> (status: Int32, output: String) {
        let (status, output, errors) = try await ChildProgram.run(
            BuiltProducts.drctl, command.arguments, limit: .seconds(300))
        return (status ?? -1, output + errors)
    }

    @Test func manualProceduresWorkStepByStepAgainstALab() async throws {
        try await withLab({ $0.regions = ["us-east-1", "eu-west-1", "ap-southeast-2"] }) { deployment, _ in
            var configuration = try Deployment.load(
                path: Self.repository.appendingPathComponent("deploy/customer-portal.dr.yaml").path)
            configuration.lab.dir = deployment.directory
            let document = Runbook.document(
                for: configuration, history: nil, asOf: CalendarDay(date: Date()), source: "test")
            let procedures = Self.procedures(document)
            // In this order each procedure starts from the state the one before left.
            for title in ["Manual failover", "Failback and rejoin", "Planned switchover", "Draining a region"] {
                let commands = try #require(procedures[title], "the runbook has no procedure '\(title)'")
                #expect(!commands.isEmpty)
                for command in commands {
                    // The forced variant is the documented alternative when the plain command is refused.
                    if command.arguments.contains("--force") { continue }
                    let (status, output) = try await run(command)
                    #expect(status == 0, "\(title): `\(command)` exited \(status): \(output.suffix(600))")
                    guard status == 0 else { return }
                }
            }
        }
    }
}
