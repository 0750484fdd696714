import DRConfiguration
import Failover

extension RunbookBuilder {
    func controllerDown() -> Procedure {
        let settings = deployment.controller
        var steps = ProcedureSteps()
        steps.add(
            text(
                "Check what still runs: the databases, the portals and the edge, and which control-plane replicas "
                    + "do."), [drctl("lab", "status", "--json")],
            verify: text(
                "the regions' databases and portals are up; `controllers` lists each region's replica with its pid, "
                    + "`controller` (the leader) is null. If a region is down as well, a replica's restart comes "
                    + "first: without a leader no failover can fence the old primary."))
        steps.add(
            text(
                "Start the replica of every region whose process is gone, the primary's first. Each runs in the "
                    + "foreground: start it in its own terminal or under the process supervisor."),
            [drctl("controller", "--region", primary)],
            verify: text("`drctl status` answers again and names the leader."), [drctl("status")])
        steps.add(
            text("Read what it did on start."), [drctl("events")],
            verify: text(
                "a start event of the new term; the primary's write lease granted again (writes resume); a failover "
                    + "that was running when the last replica stopped is finished or waits for you — never a second "
                    + "promotion."))
        steps.add(
            text(
                "Only if the timeline shows a failover stopped half-way: finish it with the same target it "
                    + "had chosen (shown on the timeline)."), [drctl("failover", "--to", firstStandby)],
            verify: text("exactly one region is primary and takes writes."), [drctl("status")])
        var awsForm: ProcedureSteps?
        if deployment.aws != nil {
            var awsSteps = ProcedureSteps()
            awsSteps.add(
                text(
                    "While the controller is down, Route 53 and CloudWatch still detect: look at what fires in each "
                        + "region."), deployment.regions.map { awsAlarmsFiring($0.name.rawValue) },
                verify: text("you know whether a region is down as well; if so, fail over by hand (manual failover)."))
            awsSteps.add(
                text("Check that the global database still has exactly one writer."), [awsGlobalClusterMembers()],
                verify: text("one member with `IsWriter` true."))
            awsForm = awsSteps
        }
        return Procedure(
            title: "The controller itself is down",
            when: text(
                "Use when `drctl status` or `drctl events` get no answer from any replica, or the alarms stop. One "
                    + "replica down changes nothing (another leads within its etcd session's TTL); with none running, "
                    + "nothing fails over, and the primary's portals refuse writes once their lease ends (at most "
                    + "\(settings.leaseDuration.text)): it is a write outage even though every region is up."),
            callouts: [
                .callout(
                    .warning,
                    text(
                        "Never promote a database by hand (`pg_promote`, `pg_ctl promote`): it bypasses the lease "
                            + "and the fencing, and two databases would take writes."))
            ],
            steps: steps, awsSteps: awsForm)
    }

    func suspectedSplitBrain() -> Procedure {
        let settings = deployment.controller
        var steps = ProcedureSteps()
        steps.add(
            text("Stop every automatic action first."), [drctl("mode", "manual")],
            verify: text("`drctl status` shows mode manual."))
        steps.add(
            text("See which databases say they are primary."), [drctl("lab", "status", "--json")],
            verify: text(
                "if only one region has `\"role\": \"primary\"`, there is no split brain: the symptom has another "
                    + "cause (a stale cache, a slow standby); stop here."))
        steps.add(
            text("See which region the controller considers primary, holding the write lease."),
            [drctl("status", "--json")],
            verify: text(
                "this region is the legitimate primary; the other one is the rogue. The commands below take the "
                    + "usual case: `\(firstStandby)` was promoted and the old primary `\(primary)` came back "
                    + "still acting as primary."))
        steps.add(
            text("Send no client to the rogue region."), [drctl("drain", primary)],
            verify: text(
                "its traffic dial is 0. Its portals have refused writes since their lease expired (at most "
                    + "\(settings.leaseDuration.text) + \(settings.clockMargin.text) after the controller stopped "
                    + "renewing it)."),
            [drctl("status")])
        steps.add(
            text(
                "Do not trust the lease that already failed: stop the rogue's portals, so nothing writes to its "
                    + "database. The database keeps running for the next step."),
            [drctl("fault", primary, "portal-crash")],
            verify: text("`\(primary)` has no portal process left."), [drctl("lab", "status")])
        steps.add(
            text(
                "Before it rejoins, list what the rogue accepted that the legitimate primary lacks: follow "
                    + "\"Assessing data loss after an async failover\" with the rogue as the old primary."),
            verify: text("the writes accepted by the rogue are listed in the incident notes, or there were none."))
        steps.add(
            text("Make the rogue a standby of the legitimate primary."), [drctl("rejoin", primary)],
            verify: text("one primary; `\(primary)` streams from `\(firstStandby)` with its lag falling."),
            [drctl("status")])
        steps.add(
            text("Start its portals again and give it traffic."),
            [drctl("fault", primary, "--heal"), drctl("undrain", primary)],
            verify: text("`\(primary)` is healthy, serves reads and forwards writes to `\(firstStandby)`."),
            [drctl("status")])
        var awsForm: ProcedureSteps?
        if deployment.aws != nil {
            var awsSteps = ProcedureSteps()
            awsSteps.add(
                text(
                    "An Aurora global database has one writer by construction; check that every member is in "
                        + "it and one writes."), [awsGlobalClusterMembers()],
                verify: text(
                    "exactly one `IsWriter` true. A cluster missing from the list was detached and may write on "
                        + "its own: go on."))
            awsSteps.add(
                text("Send no client to the region of a detached cluster."), [awsSetDial(primary, 0)],
                verify: text("its dial is 0."), [awsDescribeDial(primary)])
            awsForm = awsSteps
        }
        return Procedure(
            title: "Suspected split brain",
            when: text(
                "Use when two regions seem to accept writes, two databases report primary, or clients see their "
                    + "changes vanish and come back. The write lease should make this impossible: check before "
                    + "acting, and keep what the rogue accepted."),
            steps: steps, awsSteps: awsForm)
    }

    func assessDataLoss() -> Procedure {
        let oldPrimaryWAL = "\(dir)/postgres/\(primary)/pg_wal"
        let auditQuery =
            "SELECT id, occurred_at, kind, account_id, region FROM audit_events WHERE occurred_at >= 'FAULT_TIME' "
            + "ORDER BY id"
        var steps = ProcedureSteps()
        steps.add(
            text("Find the failover on the timeline."), [drctl("events", "--json")],
            verify: text(
                "you have the time of the fault (`FAULT_TIME`), the position the new primary was promoted at "
                    + "(`PROMOTED_LSN`) and the old primary's last known position. If they are equal nothing was "
                    + "lost: stop here."))
        steps.add(
            text(
                "Keep clients away from the old primary, and do not rejoin it yet: the rejoin rewinds it and throws "
                    + "away exactly the transactions you are looking for."), [drctl("drain", primary)],
            verify: text("its traffic dial is 0."), [drctl("status")])
        steps.add(
            text(
                "When the old primary's database runs again (in a drill: `drctl fault \(primary) --heal`), list the "
                    + "WAL it wrote after the promotion point: the lost transactions. Run it as the user that owns "
                    + "the folder; `pg_waldump` is with the PostgreSQL binaries (`/usr/lib/postgresql/*/bin`)."),
            [ShellCommand("pg_waldump", ["--path", oldPrimaryWAL, "--start", "PROMOTED_LSN"])],
            verify: text("every record after `PROMOTED_LSN`; the `COMMIT` records give their times."))
        steps.add(
            text(
                "List the security events from the fault on, on both databases (ports from "
                    + "`drctl lab status --json`): rows only on the old primary are lost changes; their "
                    + "`account_id` says whom they concern."),
            [
                ShellCommand(
                    "psql", ["postgres://postgres@127.0.0.1:OLD_PRIMARY_PORT/portal", "-c", auditQuery]),
                ShellCommand(
                    "psql", ["postgres://postgres@127.0.0.1:NEW_PRIMARY_PORT/portal", "-c", auditQuery]),
            ],
            verify: text("the lost events are listed in the incident notes, with their accounts."))
        steps.add(
            text(
                "Decide with the incident commander what to do about them: a lost password change or revocation "
                    + "means an old password or session works again, so those accounts get their sessions revoked "
                    + "and a message (see Communication). Then rejoin the old primary (\"Failback and rejoin\")."),
            verify: text("every affected account has an owner and a next step."))
        var awsForm: ProcedureSteps?
        if let config = deployment.aws {
            var awsSteps = ProcedureSteps()
            awsSteps.add(
                text(
                    "See how far the promoted region lagged when it was promoted: the lag alarm's history bounds "
                        + "the loss in time."),
                [
                    aws(
                        "cloudwatch", "describe-alarm-history", "--region", firstStandby, "--alarm-name",
                        "\(config.alarmPrefix)-\(firstStandby)-global-replication-lag", "--history-item-type",
                        "StateUpdate")
                ],
                verify: text(
                    "whether the lag was above the alarm threshold at `FAULT_TIME`; without an alarm the loss is "
                        + "below that threshold's worth of writes."))
            awsSteps.add(
                text(
                    "List the security events from `FAULT_TIME` on the new primary with the `audit_events` query "
                        + "above, through the global writer endpoint, and compare them with the clients' own "
                        + "records of what was acknowledged."),
                verify: text("the lost changes are listed in the incident notes, with their accounts."))
            awsForm = awsSteps
        }
        return Procedure(
            title: "Assessing data loss after an async failover",
            when: text(
                "Use after a failover with durability `async` or `critical-sync`, or a forced one, and after a split "
                    + "brain. With `sync` and no `--force`, no acknowledged write is lost. Words in capitals "
                    + "(`FAULT_TIME`, `PROMOTED_LSN`, the ports) are to be replaced with what the first steps show."),
            steps: steps, awsSteps: awsForm)
    }
}
