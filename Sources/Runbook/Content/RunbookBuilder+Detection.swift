import DRConfiguration
import Failover

extension RunbookBuilder {
    func detection() -> [RunbookBlock] {
        let settings = deployment.controller
        let alarms = deployment.alarms
        let syncPolicy: String
        switch settings.syncStandbyPolicy {
        case .block: syncPolicy = "writes wait until a standby is back (`sync-standby-policy: block`)"
        case .degradeAfter(let after):
            syncPolicy = "after \(after.text) commits turn asynchronous and RPO 0 is suspended"
        }
        var rows: [[[RunbookInline]]] = [
            [
                [.strong("region down")],
                text(
                    "a quorum of vantage points (the controller, the edge, the other regions) each saw "
                        + "`failure-threshold` failed probes in a row"),
                text(
                    "\(settings.failureThreshold) probes, one every \(settings.probeInterval.text), each failing "
                        + "after \(settings.probeTimeout.text)"),
            ],
            [
                [.strong("region slow")],
                text("probes answer, but slower than `slow-threshold`: a gray failure, never failed over by itself"),
                [.text(settings.slowThreshold.text)],
            ],
            [
                [.strong("replication lag")],
                text("a standby's replay lag exceeds `replication-lag-alarm`"),
                [.text(settings.replicationLagAlarm.text)],
            ],
            [
                [.strong("replication broken")],
                text("a standby is not streaming from the primary"),
                [.text("at once")],
            ],
            [
                [.strong("region recovered")],
                text("a region that was down passed `recovery-threshold` probes in a row; it may take traffic back"),
                [.text("\(settings.recoveryThreshold) probes")],
            ],
            [
                [.strong("failover")],
                text("the controller started, finished or refused a failover (every step is on the timeline)"),
                [.text("–")],
            ],
            [
                [.strong("error rate")],
                text("share of 5xx answers at the entry point"),
                [.text("\(number(alarms.errorRatePercent)) % over \(alarms.errorRateWindow.text)")],
            ],
            [
                [.strong("login failures")],
                text("failed logins in five minutes (credential stuffing, or a broken region answering 401)"),
                [.text(String(alarms.loginFailures))],
            ],
        ]
        if deployment.durability == .sync {
            rows.insert(
                [
                    [.strong("synchronous standby lost")],
                    text("no standby acknowledges commits; \(syncPolicy)"),
                    [.text("at once")],
                ], at: 4)
        }
        var targets: [[RunbookInline]] = deployment.notifications.webhooks.map { url in
            [.text("POST to "), .code(url)]
        }
        if let file = deployment.notifications.file {
            targets.append([.text("a JSON line appended to "), .code(file)])
        }
        if let first = deployment.pagingOrder.first {
            targets.append(
                [.text("a page to \(first.contact.name) (\(first.channel.rawValue) "), .code(first.address)]
                    + [.text("), then the call order below until someone acknowledges")])
        }
        var blocks: [RunbookBlock] = [
            .heading(2, "Detection"),
            .paragraph(
                text(
                    "The controller probes every region from several vantage points and raises these alarms. Each is "
                        + "an event on the timeline (`drctl events`).")),
            .table(header: ["Alarm", "Raised when", "Threshold"], rows: rows),
            .paragraph([.text("Every alarm goes to:")]),
            .bullets(targets),
            .paragraph([.text("To watch what the controller sees, and the timeline as it happens:")]),
            .commands([drctl("status"), drctl("events", "--follow")]),
            .paragraph(
                text(
                    "Or open the live status page: `drctl ui` prints its address (it carries the control token; "
                        + "do not paste it into the incident channel). It shows every region, the failover's steps "
                        + "as they run, the alarms and the timeline, and each action's `drctl` command.")),
            .commands([drctl("ui")]),
        ]
        if let aws = deployment.aws {
            blocks.append(.heading(3, "Detection on AWS"))
            blocks.append(
                .paragraph(
                    text(
                        "Route 53 health checks probe each region's `/health/ready` every 10 s; CloudWatch alarms "
                            + "in each region send to its SNS topic (`alarm_email`). The alarms per region are "
                            + "`\(aws.alarmPrefix)-REGION-alb-5xx-rate`, `-unhealthy-targets`, "
                            + "`-no-healthy-targets`, `-global-replication-lag` (secondaries only) and "
                            + "`-login-failures`. To list those that are firing, and a region's health check:")))
            blocks.append(
                .commands(
                    deployment.regions.map { region in
                        awsAlarmsFiring(region.name.rawValue)
                    }
                        + deployment.regions.compactMap { region in
                            aws.regions[region.name]?.healthCheckID.map { id in
                                self.aws("route53", "get-health-check-status", "--health-check-id", id)
                            }
                        }))
        }
        return blocks
    }

    /// `aws cloudwatch describe-alarms` for a region's alarms that are firing.
    func awsAlarmsFiring(_ region: String) -> ShellCommand {
        aws(
            "cloudwatch", "describe-alarms", "--region", region, "--alarm-name-prefix",
            "\(deployment.aws?.alarmPrefix ?? deployment.name)-\(region)-", "--state-value", "ALARM")
    }

    /// `5` or `2.5`.
    func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
