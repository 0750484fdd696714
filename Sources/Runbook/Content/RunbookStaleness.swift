import DRConfiguration
import Failover

/// Whether the runbook is still trustworthy: a review and a passing drill within the review cadence.
public enum RunbookStaleness {
    /// One sentence per problem as of `asOf`: the last review or the last passing drill is older than the
    /// cadence, or there is none. Empty when both are recent enough.
    public static func warnings(deployment: Deployment, history: [DrillRecord]?, asOf: CalendarDay) -> [String] {
        let cadence = deployment.review.cadenceDays
        var warnings: [String] = []
        if let last = deployment.review.lastReview {
            let age = last.date.days(until: asOf)
            if age > cadence {
                warnings.append(
                    "The last review was on \(last.date.text), \(age) days before \(asOf.text); reviews are due "
                        + "every \(cadence) days. Review the runbook and add an entry under review.log.")
            }
        } else {
            warnings.append(
                "No review is recorded. Review the runbook and add an entry under review.log in the deployment file.")
        }
        if let last = lastPassingDrill(in: history ?? [], asOf: asOf) {
            let day = CalendarDay(date: last.date)
            let age = day.days(until: asOf)
            if age > cadence {
                warnings.append(
                    "The last passing drill (\(last.scenario)) was on \(day.text), \(age) days before \(asOf.text); "
                        + "a drill must pass every \(cadence) days. Run a drill before relying on these procedures.")
            }
        } else if (history ?? []).contains(where: { CalendarDay(date: $0.date) <= asOf }) {
            warnings.append(
                "No drill has passed yet. Until one does, nobody knows whether these procedures meet the objectives.")
        } else {
            warnings.append(
                "No drill has run yet. Until one passes, nobody knows whether these procedures meet the objectives.")
        }
        return warnings
    }

    /// The most recent passing drill on or before `asOf`.
    static func lastPassingDrill(in history: [DrillRecord], asOf: CalendarDay) -> DrillRecord? {
        history.filter { $0.passed && CalendarDay(date: $0.date) <= asOf }.max { $0.date < $1.date }
    }
}
