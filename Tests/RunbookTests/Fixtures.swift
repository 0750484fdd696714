import DRConfiguration
import Foundation
import Testing

/// The package's root folder, for the committed deployment file and runbook.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The smallest valid deployment file; tests change one line of it at a time. Line numbers matter:
/// 1 name, 2 regions, 3–5 the primary, 6–8 the standby, 9 contacts, 10–13 Ada, 14 escalation, 15–17 its step.
let minimalYAML = """
    name: test
    regions:
      - name: us-east-1
        role: primary
        location: us
      - name: eu-west-1
        role: standby
        location: eu
    contacts:
      - name: Ada
        role: on call
        pager: ada-pager
        time-zone: Europe/Dublin
    escalation:
      - contact: Ada
        after-minutes: 0
        channel: pager
    """

/// The error parsing `yaml` gives, or nil when it parses.
func parseError(_ yaml: String) -> DeploymentFileError? {
    do {
        _ = try Deployment.parse(yaml: yaml, source: "test.yaml")
        return nil
    } catch {
        return error
    }
}

/// `minimalYAML` with one text replaced; fails the test when the text is not there.
func changedYAML(_ old: String, with new: String) -> String {
    #expect(minimalYAML.contains(old), "fixture has no '\(old)'")
    return minimalYAML.replacingOccurrences(of: old, with: new)
}

/// The committed default deployment.
func defaultDeployment() throws -> Deployment {
    try Deployment.load(path: "\(packageRoot)/deploy/customer-portal.dr.yaml")
}

/// A day from `YYYY-MM-DD`.
func day(_ text: String) -> CalendarDay {
    CalendarDay(text: text)!
}
