import DRConfiguration
import Failover
import Foundation
import Runbook
import Testing

@Suite("Runbook rendering")
struct RunbookRenderingTests {
    static let sections = [
        "Purpose and scope", "Objectives", "Architecture and dependencies", "Detection",
        "The decision: fail over or not", "Procedures", "Confirm an automatic failover", "Manual failover",
        "Planned switchover", "Failback and rejoin", "Draining a region", "The controller itself is down",
        "Suspected split brain", "Assessing data loss after an async failover", "Communication",
        "Contacts and escalation", "Drills and reviews", "Drill history", "Reviews",
    ]

    func render(
        _ deployment: Deployment, history: [DrillRecord]? = nil, asOf: String = "2026-11-27",
        format: RunbookFormat = .markdown
    ) -> String {
        Runbook.render(
            Runbook.document(for: deployment, history: history, asOf: day(asOf), source: "deploy/x.dr.yaml"),
            format: format)
    }

    @Test func markdownHasEverySectionAndContact() throws {
        let deployment = try defaultDeployment()
        let markdown = render(deployment)
        for section in Self.sections {
            #expect(markdown.contains("# \(section)\n"), "no section '\(section)'")
        }
        for contact in deployment.contacts {
            #expect(markdown.contains(contact.name))
            for channel in contact.channels {
                let address = contact.address(for: channel)!
                #expect(
                    markdown.contains(address) || markdown.contains(address.replacingOccurrences(of: "#", with: "\\#")))
            }
        }
        #expect(markdown.contains("drctl mode manual --dir .drlab"))
        #expect(markdown.contains("drctl failover --to eu-west-1 --dir .drlab"))
        #expect(markdown.contains("drctl switchover --to us-east-1 --dir .drlab"))
        #expect(markdown.contains("drctl rejoin us-east-1 --dir .drlab"))
        #expect(markdown.contains("drctl drain eu-west-1 --dir .drlab"))
    }

    @Test func htmlHasEverySectionAndContactEscaped() throws {
        var deployment = try defaultDeployment()
        deployment.contacts[0].role = "<b>lead</b> & co"
        let html = render(deployment, format: .html)
        #expect(html.hasPrefix("<!DOCTYPE html>\n"))
        #expect(html.hasSuffix("</html>\n"))
        for section in Self.sections {
            #expect(html.contains(">\(section)</h"), "no section '\(section)'")
        }
        #expect(html.contains("&lt;b&gt;lead&lt;/b&gt; &amp; co"))
        #expect(!html.contains("<b>lead</b>"))
        // Self-contained: nothing is fetched when the page opens.
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains(" src="))
    }

    @Test func awsFormUsesTheDeploymentsResources() throws {
        let deployment = try defaultDeployment()
        let aws = try #require(deployment.aws)
        let markdown = render(deployment)
        let euGroup = try #require(aws.regions["eu-west-1"]?.endpointGroupARN)
        let euCluster = try #require(aws.regions["eu-west-1"]?.dbClusterARN)
        #expect(
            markdown.contains(
                "aws globalaccelerator update-endpoint-group --endpoint-group-arn \(euGroup) "
                    + "--traffic-dial-percentage 0 --region us-west-2"))
        #expect(
            markdown.contains(
                "aws rds failover-global-cluster --global-cluster-identifier \(aws.globalCluster) "
                    + "--target-db-cluster-identifier \(euCluster) --allow-data-loss --region us-east-1"))
        #expect(markdown.contains("aws rds switchover-global-cluster"))
        #expect(markdown.contains("aws route53 update-health-check"))
        #expect(markdown.contains("aws cloudwatch describe-alarms --region us-east-1"))
        for procedure in Self.sections[6...13] {
            #expect(markdown.contains("#### \(procedure) on AWS\n"), "no AWS form of '\(procedure)'")
        }
    }

    @Test func withoutAWSSectionThereIsNoAWSForm() throws {
        var deployment = try defaultDeployment()
        deployment.aws = nil
        let document = Runbook.document(for: deployment, history: nil, asOf: day("2026-11-27"), source: "x")
        #expect(!document.commands.contains { $0.program == "aws" || $0.arguments.first == "aws" })
        #expect(!Runbook.render(document, format: .markdown).contains(" on AWS\n"))
    }

    @Test func everyDrctlCommandUsesTheLabFolder() throws {
        var deployment = try defaultDeployment()
        deployment.lab.dir = "/srv/dr lab"
        let document = Runbook.document(for: deployment, history: nil, asOf: day("2026-11-27"), source: "x")
        let labCommands = document.commands.filter { $0.isDrctl && $0.arguments.first != "aws" }
        #expect(labCommands.count > 20)
        for command in labCommands {
            #expect(Array(command.arguments.suffix(2)) == ["--dir", "/srv/dr lab"], "\(command)")
        }
        #expect(Runbook.render(document, format: .markdown).contains("drctl status --dir '/srv/dr lab'\n"))
    }

    @Test func renderingIsDeterministic() throws {
        let deployment = try defaultDeployment()
        #expect(render(deployment) == render(deployment))
        #expect(render(deployment, format: .html) == render(deployment, format: .html))
        #expect(Runbook.asOfDay(in: render(deployment, asOf: "2027-01-02")) == day("2027-01-02"))
    }

    @Test func staleReviewIsWarnedAsOfTheInjectedDay() throws {
        var deployment = try defaultDeployment()
        deployment.review.cadence = .seconds(90 * 86_400)
        deployment.review.log = [.init(date: day("2026-01-01"), by: "Ada Lovelace", changes: "first")]
        let passing = drill(on: "2026-03-01", passed: true)
        let fresh = render(deployment, history: [passing], asOf: "2026-03-31")
        #expect(!fresh.contains("> **Warning:** The last"))
        #expect(!fresh.contains("> **Warning:** No"))
        #expect(fresh.contains("As of 2026-03-31, the review and the last passing drill are recent."))
        let stale = render(deployment, history: [passing], asOf: "2026-04-02")
        #expect(stale.contains("> **Warning:** The last review was on 2026-01-01, 91 days before 2026-04-02"))
        #expect(!stale.contains("The last passing drill"))
    }

    @Test func staleDrillIsWarnedAsOfTheInjectedDay() throws {
        var deployment = try defaultDeployment()
        deployment.review.log = [.init(date: day("2026-06-01"), by: "Ada Lovelace", changes: "checked")]
        let history = [drill(on: "2026-03-01", passed: true), drill(on: "2026-06-15", passed: false)]
        let stale = render(deployment, history: history, asOf: "2026-06-20")
        #expect(stale.contains("> **Warning:** The last passing drill (region-crash) was on 2026-03-01, 111 days"))
        #expect(!stale.contains("The last review was"))
    }

    @Test func missingOrEmptyHistorySaysNoDrillHasRun() throws {
        let deployment = try defaultDeployment()
        for history in [nil, [DrillRecord]()] {
            let markdown = render(deployment, history: history)
            #expect(markdown.contains("No drill has run yet: `docs/drills/history.jsonl`"))
            #expect(markdown.contains("> **Warning:** No drill has run yet."))
        }
    }

    @Test func drillHistoryShowsPassAndFailAgainstObjectives() throws {
        let deployment = try defaultDeployment()
        var failed = drill(on: "2026-11-20", passed: false)
        failed.scenario = "region-partition"
        failed.rtoWriteSeconds = 7.25
        failed.lostWrites = 3
        failed.report = "2026-11-20-region-partition/report.html"
        let markdown = render(deployment, history: [drill(on: "2026-11-10", passed: true), failed])
        let rows = markdown.split(separator: "\n").filter { $0.hasPrefix("| 2026-11-") && $0.contains("| region-") }
        #expect(rows.count == 2)
        // Newest first.
        #expect(rows[0].contains("region-partition"))
        #expect(rows[0].contains("7.25 s ✗ over 5s"))
        #expect(rows[0].contains("3 ✗ RPO 0"))
        #expect(rows[0].contains("**FAIL**"))
        #expect(rows[0].contains("(drills/2026-11-20-region-partition/report.html)"))
        #expect(rows[1].contains("1.80 s ✓"))
        #expect(rows[1].contains("| 0 ✓ |"))
        #expect(rows[1].contains("**pass**"))
        #expect(markdown.contains("Last passing drill: 2026-11-10 (region-crash); next due by 2027-02-08."))
    }

    @Test func markdownEscapesTableCells() throws {
        var deployment = try defaultDeployment()
        deployment.contacts[0].role = "lead | backup *now*"
        let markdown = render(deployment)
        #expect(markdown.contains("| lead \\| backup \\*now\\* |"))
    }

    func drill(on date: String, passed: Bool) -> DrillRecord {
        DrillRecord(
            date: day(date).date.addingTimeInterval(3600), scenario: "region-crash", durability: "sync",
            passed: passed, detectionSeconds: 0.9, rtoWriteSeconds: 1.8, rtoReadSeconds: 1.2, lostWrites: 0,
            fencedWrites: 0, objectives: "rto=5s,rpo=0", report: nil)
    }
}
