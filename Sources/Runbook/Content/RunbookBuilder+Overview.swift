import DRConfiguration
import Failover

extension RunbookBuilder {
    func purposeAndScope() -> [RunbookBlock] {
        let regions = deployment.regions.map(\.name.rawValue).joined(separator: ", ")
        var blocks: [RunbookBlock] = [
            .heading(2, "Purpose and scope"),
            .paragraph(
                text(
                    "This runbook says how to keep \(deployment.name) (sign-up, login, tokens, sessions and account "
                        + "management) available when a whole region fails, and how to bring the region back without "
                        + "losing data. It is for whoever is on call: every step has the exact command and what to "
                        + "check after it.")),
            .paragraph(
                text(
                    "Scope: the deployment `\(deployment.name)` in the regions \(regions); its databases, portals, "
                        + "entry point (the edge in the lab, Global Accelerator and Route 53 on AWS) and the failover "
                        + "controller. Out of scope: incidents inside one region that the region survives (a crashed "
                        + "portal process, one slow query): they are handled by the service's own runbook, not by a "
                        + "region failover.")),
            .paragraph(
                text(
                    "The commands are `drctl` commands (build it with `swift build -c release --product drctl` and "
                        + "put `.build/release/drctl` on the PATH). In the lab they act on the state folder "
                        + "`\(dir)`; the AWS form of each procedure follows it where the deployment runs on AWS.")),
        ]
        if deployment.aws == nil {
            blocks.append(
                .callout(
                    .note,
                    text("The deployment file has no `aws` section, so this runbook has no AWS procedures.")))
        }
        return blocks
    }

    func objectives() -> [RunbookBlock] {
        let settings = deployment.controller
        let objectives = deployment.objectives
        let detection = settings.probeInterval * settings.failureThreshold + settings.probeTimeout
        let fencing = settings.leaseDuration + settings.clockMargin
        let earliestPromotion = max(detection, fencing)
        var rpoMeaning: String
        switch deployment.durability {
        case .sync:
            rpoMeaning =
                "Durability is `sync`: a commit returns only once another region has it, so a failover loses no "
                + "acknowledged write."
            if case .degradeAfter(let after) = settings.syncStandbyPolicy {
                rpoMeaning +=
                    " Exception: with every standby lost for \(after.text), commits turn asynchronous "
                    + "(`sync-standby-policy`) and RPO 0 is suspended until a standby is back; an alarm says so."
            } else {
                rpoMeaning += " With every standby lost, writes wait (`sync-standby-policy: block`): RPO 0 is kept."
            }
        case .async:
            rpoMeaning =
                "Durability is `async`: a failover loses the writes the chosen standby had not replayed, at most "
                + "the replication lag (alarm above \(settings.replicationLagAlarm.text)); the controller refuses a "
                + "standby lagging more than \(bytes(settings.maxLagOnFailover)) unless forced."
        case .criticalSync:
            rpoMeaning =
                "Durability is `critical-sync`: security-critical writes (password and e-mail changes, revocations, "
                + "deletions) are applied by a standby before they return and are never lost; other writes can "
                + "lose up to the replication lag (alarm above \(settings.replicationLagAlarm.text))."
        }
        var blocks: [RunbookBlock] = [
            .heading(2, "Objectives"),
            .table(
                header: ["Objective", "Target", "Measured as"],
                rows: [
                    [
                        [.strong("RTO")], [.text(objectives.rto.text)],
                        text("fault → first successful write through the entry point (a drill also measures reads)"),
                    ],
                    [
                        [.strong("RPO")], [.text(rpoText(objectives.rpo))],
                        text("acknowledged writes missing after the failover, checked one by one in drills"),
                    ],
                ]),
            .paragraph(text(rpoMeaning)),
            .paragraph(
                text(
                    "Where the RTO goes: the controller declares a region down after about \(detection.text) "
                        + "(`failure-threshold` \(settings.failureThreshold) × `probe-interval` "
                        + "\(settings.probeInterval.text) + `probe-timeout` \(settings.probeTimeout.text)); it "
                        + "promotes a standby only once the old primary's write lease has surely expired, "
                        + "\(fencing.text) after its last renewal (`lease-duration` \(settings.leaseDuration.text) + "
                        + "`clock-margin` \(settings.clockMargin.text)). Promotion can therefore start "
                        + "\(earliestPromotion.text) after the fault; the promotion itself and the traffic shift "
                        + "use the rest of the \(objectives.rto.text).")),
        ]
        if earliestPromotion >= objectives.rto {
            blocks.append(
                .callout(
                    .warning,
                    text(
                        "The controller's waits alone (\(earliestPromotion.text)) are not shorter than the RTO "
                            + "(\(objectives.rto.text)): no failover can meet it. Shorten the lease or the "
                            + "detection, or change the objective.")))
        }
        return blocks
    }

    func architecture() -> [RunbookBlock] {
        let settings = deployment.controller
        var blocks: [RunbookBlock] = [
            .heading(2, "Architecture and dependencies"),
            .table(
                header: ["Region", "Role at home", "Serves clients in", "Owner"],
                rows: deployment.regions.map { region in
                    [
                        [.code(region.name.rawValue)], [.text(region.role.rawValue)], [.code(region.location)],
                        [.text(region.owner ?? "–")],
                    ]
                }),
            .paragraph(
                text(
                    "Clients reach one address. The entry point sends each request to the nearest healthy region "
                        + "whose traffic dial is above 0. Each region reads from its own database and writes through "
                        + "the writer endpoint, which always leads to the current primary; the primary streams its "
                        + "WAL to every standby (durability `\(deployment.durability.rawValue)`). The standbys are "
                        + "listed in order of preference: `\(firstStandby)` is the first failover candidate, but the "
                        + "controller promotes the standby with the highest replayed position.")),
            .preformatted(
                title: "Traffic and data",
                text: """
                    client ──► entry point ──► region ──► portal ──► local database (reads)
                                                            └──────► writer endpoint ──► primary database (writes)
                    primary database ══ WAL stream ══► standby database in every other region
                    """),
            .paragraph([.text("What the service depends on, and what happens when it is gone:")]),
            .bullets([
                text(
                    "The controller (`drctl controller`): probes every region, grants the primary's write lease, "
                        + "executes failover, switchover and rejoin, keeps the timeline. If it is down, no failover "
                        + "happens and the primary's portals refuse writes once their lease runs out "
                        + "(\(settings.leaseDuration.text)); reads continue. See the procedure for it."),
                text(
                    "PostgreSQL streaming replication between regions: in `sync` durability a commit waits for "
                        + "another region; a broken stream raises the replication alarms."),
                text(
                    "The entry point: the edge in the lab (`drctl edge`), Global Accelerator and Route 53 on AWS. "
                        + "A failover does not help when it is the entry point that fails."),
                text(
                    "The signing keys, the same in every region, so tokens stay valid after a failover; on AWS a "
                        + "Secrets Manager secret replicated to every region."),
                text("The network between regions (in the lab, the WAN emulator: `drctl lab link`)."),
            ]),
        ]
        if let aws = deployment.aws {
            var resources: [[RunbookInline]] = [
                [.text("Aurora global database "), .code(aws.globalCluster), .text(", managed through ")]
                    + [.code(aws.controlRegion.rawValue)] + [.text(".")]
            ]
            if let accelerator = aws.acceleratorARN {
                resources.append([.text("Global Accelerator "), .code(accelerator), .text(" (API in us-west-2).")])
            }
            if let zone = aws.hostedZoneID, let name = aws.recordName {
                resources.append(
                    [.text("Route 53: "), .code(name), .text(" and the latency records "), .code("latency.\(name)")]
                        + [.text(" in the hosted zone "), .code(zone), .text(".")])
            }
            resources.append(
                [.text("CloudWatch alarms named "), .code("\(aws.alarmPrefix)-REGION-…"), .text(" in each region.")])
            blocks.append(.paragraph([.text("On AWS (deploy/aws, docs/AWS.md):")]))
            blocks.append(.bullets(resources))
            blocks.append(
                .table(
                    header: ["Region", "Aurora cluster", "Endpoint group", "Health check"],
                    rows: deployment.regions.map { region in
                        let resources = aws.regions[region.name]
                        return [
                            [.code(region.name.rawValue)], [.code(resources?.dbClusterARN ?? "–")],
                            [.code(resources?.endpointGroupARN ?? "–")], [.code(resources?.healthCheckID ?? "–")],
                        ]
                    }))
        }
        return blocks
    }
}
