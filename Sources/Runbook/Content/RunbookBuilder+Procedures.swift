import DRConfiguration
import Failover

/// One procedure: when to use it, its steps in the lab, and its AWS form.
struct Procedure {
    let title: String
    let when: [RunbookInline]
    var callouts: [RunbookBlock] = []
    let steps: ProcedureSteps
    let awsSteps: ProcedureSteps?

    var blocks: [RunbookBlock] {
        var blocks: [RunbookBlock] = [.heading(3, title), .paragraph(when)] + callouts + steps.blocks
        if let awsSteps {
            blocks.append(.heading(4, "\(title) on AWS"))
            blocks += awsSteps.blocks
        }
        return blocks
    }
}

extension RunbookBuilder {
    func procedures() -> [RunbookBlock] {
        let procedures = [
            confirmAutomaticFailover(), manualFailover(), plannedSwitchover(), failbackAndRejoin(), drainRegion(),
            controllerDown(), suspectedSplitBrain(), assessDataLoss(),
        ]
        var blocks: [RunbookBlock] = [
            .heading(2, "Procedures"),
            .paragraph(
                text(
                    "Each step gives the command, then what must be true before you go on. If a check fails, stop "
                        + "and escalate rather than improvise. The commands are written for the home layout "
                        + "(`\(primary)` primary, `\(firstStandby)` the first candidate); after a failover, put the "
                        + "regions' current roles in their place, as `drctl status` shows them.")),
            .bullets(procedures.map { [.link($0.title, target: "#\(RunbookBlock.anchor(for: $0.title))")] }),
        ]
        for procedure in procedures { blocks += procedure.blocks }
        return blocks
    }

    func confirmAutomaticFailover() -> Procedure {
        var steps = ProcedureSteps()
        steps.add(
            text("Read the timeline of the failover."), [drctl("events")],
            verify: text(
                "`\(primary)` was declared down, then the plan's steps follow in order — fence, select, promote, "
                    + "repoint the other standbys, move the writer endpoint, shift traffic — and the failover is "
                    + "marked complete. Note the time of the first alarm and of completion: the difference is this "
                    + "failover's RTO."))
        steps.add(
            text("Check the controller's view of the regions."), [drctl("status")],
            verify: text(
                "exactly one region is primary, normally `\(firstStandby)`; `\(primary)` is down or fenced and its "
                    + "traffic dial is 0; every other standby replicates from the new primary."))
        steps.add(
            text("Check the databases themselves."), [drctl("lab", "status")],
            verify: text(
                "exactly one database has the role primary; the standbys' replay positions advance (run it twice)."))
        steps.add(
            text(
                "Judge the data: with durability `sync` no acknowledged write is lost. With `async` or "
                    + "`critical-sync`, or when the timeline shows a forced failover, follow "
                    + "\"Assessing data loss after an async failover\" before `\(primary)` comes back."),
            verify: text("the incident notes say which of the two applies."))
        steps.add(
            text(
                "Post the \"failed over\" status-page message (see Communication). When `\(primary)` recovers, "
                    + "follow \"Failback and rejoin\"."))
        var awsForm: ProcedureSteps?
        if deployment.aws != nil {
            var awsSteps = ProcedureSteps()
            awsSteps.add(
                text("See which cluster writes."), [awsGlobalClusterMembers()],
                verify: text("exactly one member has `IsWriter` true, and it is not `\(primary)`'s cluster."))
            awsSteps.add(
                text("See the old primary region's traffic dial and endpoint health."), [awsDescribeDial(primary)],
                verify: text("the dial is 0 or the endpoint is unhealthy: no client is sent to `\(primary)`."))
            awsSteps.add(
                text("See the alarms that fired."), [awsAlarmsFiring(primary), awsAlarmsFiring(firstStandby)],
                verify: text("the alarms match the timeline; nothing fires in the new primary's region."))
            awsSteps.add(
                text("Get the whole picture in one table."), [drctlAWSStatus()],
                verify: text("one writer, replication lag falling on every secondary, dials as expected."))
            awsForm = awsSteps
        }
        return Procedure(
            title: "Confirm an automatic failover",
            when: text(
                "Use when the controller has failed over by itself (a `failover` alarm): confirm that it did the "
                    + "right thing and that the service works."),
            steps: steps, awsSteps: awsForm)
    }

    func manualFailover() -> Procedure {
        let settings = deployment.controller
        var steps = ProcedureSteps()
        steps.add(
            text("Stop the controller from acting at the same time as you."), [drctl("mode", "manual")],
            verify: text("`drctl status` shows mode manual."))
        steps.add(
            text("Confirm that the primary's region is down, not slow, and pick the target."), [drctl("status")],
            verify: text(
                "a quorum sees `\(primary)` down; the target is the standby with the highest replayed position "
                    + "(normally `\(firstStandby)`), lagging at most \(bytes(settings.maxLagOnFailover)). If "
                    + "`\(primary)` is only slow, stop here and drain it instead."))
        steps.add(
            text("Fail over to the target. For another target, put its name after `--to`."),
            [drctl("failover", "--to", firstStandby)],
            verify: text(
                "the command reports the plan complete. If it refuses (`failover-blocked` on the timeline: the "
                    + "target lags too much, or the database provider cannot promote without losing writes, as "
                    + "Aurora cannot once the old primary is gone), the old primary stays fenced and the plan "
                    + "tries again every 5 s; the incident commander and the database lead decide whether to wait "
                    + "or to force it (next step)."))
        steps.add(
            text(
                "Only on that decision: force the failover, accepting the loss of the writes the target had not "
                    + "replayed, then follow \"Assessing data loss after an async failover\"."),
            [drctl("failover", "--to", firstStandby, "--force")],
            verify: text("the timeline records the forced promotion and the target's position at promotion."),
            [drctl("events")])
        steps.add(
            text("Check the result."), [drctl("status")],
            verify: text(
                "`\(firstStandby)` is primary and takes writes, `\(primary)` is fenced with traffic dial 0, the other "
                    + "standbys replicate from `\(firstStandby)`."))
        steps.add(
            text(
                "Leave the controller in manual mode until the incident is closed; then the incident commander "
                    + "restores the mode (see the Andon cord). When `\(primary)` recovers, follow \"Failback and "
                    + "rejoin\"."))
        var awsForm: ProcedureSteps?
        if let config = deployment.aws {
            var awsSteps = ProcedureSteps()
            awsSteps.add(
                text("See which cluster writes and how far the secondaries lag."), [drctlAWSStatus()],
                verify: text("the primary's region is unreachable or failing; pick the secondary with the least lag."))
            awsSteps.add(
                text(
                    "Fail the global database over to the target (data not yet replicated to it is lost; "
                        + "`--allow-data-loss` says so)."),
                [
                    aws(
                        "rds", "failover-global-cluster", "--global-cluster-identifier", config.globalCluster,
                        "--target-db-cluster-identifier", awsResources(firstStandby).dbClusterARN,
                        "--allow-data-loss", "--region", config.controlRegion.rawValue)
                ],
                verify: text(
                    "after a minute or two, `\(firstStandby)`'s cluster is the writer (the global writer endpoint "
                        + "follows it)."),
                [awsGlobalClusterMembers()])
            awsSteps.add(
                text("Take the old primary's region out of Global Accelerator."), [awsSetDial(primary, 0)],
                verify: text("its dial is 0."), [awsDescribeDial(primary)])
            if let healthCheck = config.regions[RegionName(primary)]?.healthCheckID {
                awsSteps.add(
                    text(
                        "Check that Route 53 sees the old primary's region unhealthy (its latency record is skipped)."),
                    [aws("route53", "get-health-check-status", "--health-check-id", healthCheck)],
                    verify: text(
                        "most checkers report a failure; if the region still looks healthy to Route 53, drain "
                            + "it there too (see \"Draining a region\")."))
            }
            awsForm = awsSteps
        }
        return Procedure(
            title: "Manual failover",
            when: text(
                "Use when the primary's region is down and the controller is in manual mode, or did not fail over "
                    + "by itself (a standby lags beyond the bound, the vantage points disagree). The incident "
                    + "commander decides; the controller executes the same plan as in automatic mode."),
            steps: steps, awsSteps: awsForm)
    }

    func plannedSwitchover() -> Procedure {
        var steps = ProcedureSteps()
        steps.add(
            text("Check that every region is healthy and the target is caught up."), [drctl("status")],
            verify: text(
                "all regions healthy; `\(firstStandby)` lags a few kilobytes at most. A switchover waits for the "
                    + "target to replay everything, so a lagging target makes writes pause longer."))
        steps.add(
            text(
                "Switch over. Writes stop, the target replays the primary's last position, then it is promoted: no "
                    + "write is lost."),
            [drctl("switchover", "--to", firstStandby)],
            verify: text("the command reports the switchover complete."))
        steps.add(
            text("Read the plan's steps."), [drctl("events")],
            verify: text(
                "writes were stopped, the target reached the old primary's last position before its promotion, "
                    + "and traffic moved."))
        steps.add(
            text("Check the new layout."), [drctl("status")],
            verify: text(
                "`\(firstStandby)` is primary; `\(primary)` is a standby of it with lag falling to 0. If `\(primary)` "
                    + "is not a standby, run `drctl rejoin \(primary) --dir \(dir)`."))
        var awsForm: ProcedureSteps?
        if let config = deployment.aws {
            var awsSteps = ProcedureSteps()
            awsSteps.add(
                text("Check that every cluster is healthy and replicating."), [drctlAWSStatus()],
                verify: text("one writer, every secondary with a small lag."))
            awsSteps.add(
                text("Switch the global database over (Aurora waits for the target to catch up: no loss)."),
                [
                    aws(
                        "rds", "switchover-global-cluster", "--global-cluster-identifier", config.globalCluster,
                        "--target-db-cluster-identifier", awsResources(firstStandby).dbClusterARN, "--region",
                        config.controlRegion.rawValue)
                ],
                verify: text("`\(firstStandby)`'s cluster is the writer and `\(primary)`'s a reader of it."),
                [awsGlobalClusterMembers()])
            awsForm = awsSteps
        }
        return Procedure(
            title: "Planned switchover",
            when: text(
                "Use to move the primary while both regions are healthy: maintenance of `\(primary)`, a drill, or "
                    + "the second half of a failback. It loses nothing."),
            steps: steps, awsSteps: awsForm)
    }

    func failbackAndRejoin() -> Procedure {
        let settings = deployment.controller
        var steps = ProcedureSteps()
        steps.add(
            text(
                "In a drill, heal the injected fault (a real region recovers by itself; skip this then)."),
            [drctl("fault", primary, "--heal")],
            verify: text("`drctl status` shows `\(primary)` reachable again."))
        steps.add(
            text(
                "If the failover may have lost writes (async, critical-sync or forced), assess the loss now: "
                    + "rejoining rewinds `\(primary)` and discards what never reached the new primary."),
            verify: text("the loss is recorded in the incident notes, or there was none."))
        steps.add(
            text(
                "Rejoin the old primary as a standby of the new one (`pg_rewind`, or a fresh copy when the rewind "
                    + "cannot work)."), [drctl("rejoin", primary)],
            verify: text("`\(primary)` is a standby streaming from `\(firstStandby)`, its lag falling to 0."),
            [drctl("status")])
        steps.add(
            text(
                "Wait until `\(primary)` has been healthy for `recovery-threshold` (\(settings.recoveryThreshold) "
                    + "probes) and caught up."), [drctl("events")],
            verify: text("a `region recovered` event for `\(primary)`; its lag is a few kilobytes at most."))
        steps.add(
            text("Move the primary back: a planned switchover, so nothing is lost."),
            [drctl("switchover", "--to", primary)],
            verify: text("`\(primary)` is primary again and `\(firstStandby)` a standby of it."), [drctl("status")])
        steps.add(
            text("Give `\(primary)` its traffic back if it is still drained."), [drctl("undrain", primary)],
            verify: text("`drctl status` shows its traffic dial at 100."))
        var awsForm: ProcedureSteps?
        if let config = deployment.aws {
            var awsSteps = ProcedureSteps()
            awsSteps.add(
                text("Check that the old primary's cluster is back in the global database as a secondary."),
                [awsGlobalClusterMembers()],
                verify: text(
                    "`\(primary)`'s cluster is listed with `IsWriter` false. If it is missing, add it back as a "
                        + "secondary with Terraform (`deploy/aws`, docs/AWS.md) before going on."))
            awsSteps.add(
                text("Switch the global database back (no loss)."),
                [
                    aws(
                        "rds", "switchover-global-cluster", "--global-cluster-identifier", config.globalCluster,
                        "--target-db-cluster-identifier", awsResources(primary).dbClusterARN, "--region",
                        config.controlRegion.rawValue)
                ],
                verify: text("`\(primary)`'s cluster is the writer again."), [awsGlobalClusterMembers()])
            awsSteps.add(
                text("Give `\(primary)` its traffic back."), [awsSetDial(primary, 100)],
                verify: text("its dial is 100 and its endpoint healthy."), [awsDescribeDial(primary)])
            awsForm = awsSteps
        }
        return Procedure(
            title: "Failback and rejoin",
            when: text(
                "Use after a failover from `\(primary)` to `\(firstStandby)`, once `\(primary)` is back: it rejoins "
                    + "as a standby, catches up, and then becomes primary again by a planned switchover."),
            steps: steps, awsSteps: awsForm)
    }

    func drainRegion() -> Procedure {
        let region = firstStandby
        var steps = ProcedureSteps()
        steps.add(
            text(
                "If the region to drain is the primary, move the primary first with a planned switchover; drain "
                    + "only standbys. Check the roles."), [drctl("status")],
            verify: text("`\(region)` is a standby."))
        steps.add(
            text("Drain it: its traffic dial goes to 0 and the entry point sends its clients to the next region."),
            [drctl("drain", region)],
            verify: text(
                "`drctl status` shows its dial at 0; it keeps replicating, so it can be a failover target still."))
        steps.add(
            text("When the work is done or the region is well again, give its traffic back."),
            [drctl("undrain", region)],
            verify: text("its dial is 100 and it is healthy."), [drctl("status")])
        var awsForm: ProcedureSteps?
        if let config = deployment.aws {
            var awsSteps = ProcedureSteps()
            awsSteps.add(
                text("Turn the region's Global Accelerator dial to 0."), [awsSetDial(region, 0)],
                verify: text("its dial is 0."), [awsDescribeDial(region)])
            if let healthCheck = config.regions[RegionName(region)]?.healthCheckID {
                awsSteps.add(
                    text(
                        "Take it out of the Route 53 latency records too, by inverting its health check (Route 53 "
                            + "then treats it as unhealthy)."),
                    [aws("route53", "update-health-check", "--health-check-id", healthCheck, "--inverted")],
                    verify: text("the health check is inverted (`true`)."),
                    [awsHealthCheckInverted(healthCheck)])
                awsSteps.add(
                    text("To undo: restore the health check and the dial."),
                    [
                        aws("route53", "update-health-check", "--health-check-id", healthCheck, "--no-inverted"),
                        awsSetDial(region, 100),
                    ],
                    verify: text("the health check is not inverted (`false`) and the dial is 100."),
                    [awsHealthCheckInverted(healthCheck), awsDescribeDial(region)])
            } else {
                awsSteps.add(
                    text("To undo: restore the dial."), [awsSetDial(region, 100)],
                    verify: text("the dial is 100."), [awsDescribeDial(region)])
            }
            awsForm = awsSteps
        }
        return Procedure(
            title: "Draining a region",
            when: text(
                "Use for a slow region (gray failure), before maintenance, or to keep clients away from a region "
                    + "that is being repaired. The commands are for `\(region)`; for another region put its name "
                    + "in place."),
            steps: steps, awsSteps: awsForm)
    }
}
