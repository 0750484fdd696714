import DRConfiguration
import Failover

extension RunbookBuilder {
    func decision() -> [RunbookBlock] {
        let settings = deployment.controller
        let commander = deployment.pagingOrder.first.map { "\($0.contact.name), \($0.contact.role)," }
        let decider = commander ?? "the incident commander,"
        let fileMode =
            settings.mode == .automatic
            ? "The deployment file starts the controller in `automatic` mode."
            : "The deployment file starts the controller in `manual` mode."
        return [
            .heading(2, "The decision: fail over or not"),
            .paragraph(text(fileMode + " `drctl status` shows the mode it is in now.")),
            .paragraph(
                [.strong("The controller fails over by itself")] + text(" (automatic mode) only when all hold:")),
            .bullets([
                text(
                    "a quorum of vantage points declares the primary's region down (not slow: a slow region is a "
                        + "gray failure);"),
                text(
                    "a standby lags the old primary by at most `max-lag-on-failover`, "
                        + "\(bytes(settings.maxLagOnFailover)); it promotes the one with the highest replayed "
                        + "position;"),
                text("no other failover happened within the `cooldown` (\(settings.cooldown.text));"),
                text(
                    "the old primary's write lease has surely expired (`lease-duration` + `clock-margin`), so the old "
                        + "primary has stopped writing before the new one starts."),
            ]),
            .paragraph(
                [.strong("A person decides")]
                    + text(
                        " in manual mode, and in every case the controller will not decide alone: the best standby "
                            + "lags more than the bound, the vantage points disagree, or the controller itself is "
                            + "down. The decision belongs to \(decider) who is paged first; the database lead "
                            + "joins any decision that accepts data loss (`--force`).")),
            .paragraph([.strong("Do not fail over")] + [.text(" when:")]),
            .bullets([
                text(
                    "the region is slow but answering (gray failure, `slow-threshold` "
                        + "\(settings.slowThreshold.text)): drain it instead, which moves clients and keeps the "
                        + "data where it is (procedure: draining a region);"),
                text(
                    "the best standby lags beyond `max-lag-on-failover`: wait for it to catch up if the primary may "
                        + "come back; force only as a decision to lose the unreplicated writes, then assess the loss;"),
                text(
                    "the failure is in something every region shares (the entry point, DNS, the signing keys): a "
                        + "failover moves the problem, it does not fix it;"),
                text(
                    "the region lost one portal or one zone and still answers its probes: the region handles it "
                        + "itself;"),
                text(
                    "only the controller is down: restart it (procedure: the controller itself is down); a failover "
                        + "without it cannot fence the old primary;"),
                text(
                    "within the cooldown after a failover (\(settings.cooldown.text)), unless the new primary is "
                        + "down too: flapping between regions costs more than it saves."),
            ]),
            .paragraph(
                [.strong("The Andon cord.")]
                    + text(
                        " Anyone on the call order may stop the controller from deciding by itself, at any time, "
                            + "without asking: it switches the controller to manual mode, where it only detects "
                            + "and alarms. A plan already running is not left half-done with two writers; "
                            + "`drctl events` shows where it stopped and `drctl failover` finishes it.")),
            .commands([drctl("mode", "manual")]),
            .paragraph(
                text(
                    "Verify with `drctl status` that the mode is manual, and say in the incident channel that you "
                        + "pulled it. When the incident is over, the incident commander restores the deployment "
                        + "file's mode and checks it:")),
            .commands([drctl("mode", settings.mode.rawValue), drctl("status")]),
        ]
    }
}
