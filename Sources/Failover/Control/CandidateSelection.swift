/// Invariant 3: failover promotes the most advanced standby, and refuses one that lags the old primary's last known
/// position by more than `maxLagOnFailover` unless forced. "Most advanced" is the WAL it has received and flushed:
/// promotion replays all of it first, and a synchronous commit was acknowledged once one standby had *flushed* it —
/// while its replay may trail by seconds (hot-standby query conflicts), so choosing by replayed position could pick
/// a standby that never received an acknowledged write.
///
/// A provider that exposes no WAL positions (Aurora Global Database: its API gives roles and CloudWatch lag, never
/// LSNs) is ranked by replication lag instead, least first, when no reachable standby reports a position. Such a
/// provider's promotion without `force` is a switchover that the database itself makes lossless (Aurora's
/// `SwitchoverGlobalCluster` waits until the target has caught up), so the lag only orders the choice: it refuses
/// nothing, and a requested standby is taken as asked.
public enum CandidateSelection {
    /// Picks the best candidate among `standbys` (region → its database, nil when unreachable), or checks
    /// `requested`. `excluded` regions (former primaries awaiting rejoin) never qualify. Between standbys at the
    /// same position, the one listed first in `priority` (the deployment's region order) wins.
    ///
    /// `heardAtLeast` is set while commits wait for synchronous standbys (`ANY k` of n: n − k + 1): an acknowledged
    /// commit is on k standbys, possibly on none of those heard, unless that many answered. Fewer refuse the
    /// choice unless forced (a person accepting the loss).
    public static func select(
        standbys: [RegionName: DatabaseProbe?], excluded: Set<RegionName>, requested: RegionName?,
        oldPrimaryLSN: LogSequenceNumber?, maxLag: UInt64, force: Bool, priority: [RegionName] = [],
        heardAtLeast: Int? = nil
    ) throws(FailoverError) -> (region: RegionName, lagBytes: UInt64?) {
        let rank = { (region: RegionName) in priority.firstIndex(of: region) ?? priority.count }
        if let requested, excluded.contains(requested) {
            throw FailoverError(
                .refused, "\(requested) is a former primary awaiting rejoin; rejoin it, then switch over to it")
        }
        let heard = standbys.filter { !excluded.contains($0.key) && $0.value != nil }.count
        if let heardAtLeast, heard < heardAtLeast, !force {
            let unheard = standbys.filter { !excluded.contains($0.key) && $0.value == nil }.keys.map(\.rawValue)
                .sorted()
            throw FailoverError(
                .refused,
                "heard \(heard) standbys, fewer than the \(heardAtLeast) that prove no acknowledged commit is only on "
                    + "an unheard one (\(unheard.joined(separator: ", "))): wait for them, or pass --force to accept "
                    + "losing such commits")
        }
        let standbyProbes = standbys.compactMap { region, probe -> (RegionName, DatabaseProbe)? in
            guard !excluded.contains(region), let probe, probe.role == .standby else { return nil }
            return (region, probe)
        }
        let reachable = standbyProbes.compactMap { region, probe -> (RegionName, LogSequenceNumber)? in
            let positions = [probe.flushedLSN, probe.replayedLSN].compactMap { $0 }
            guard let lsn = positions.max() else { return nil }
            return (region, lsn)
        }
        if reachable.isEmpty, !standbyProbes.isEmpty {
            return try selectByLag(standbyProbes, requested: requested, rank: rank)
        }
        let chosen: (RegionName, LogSequenceNumber)
        if let requested {
            guard let match = reachable.first(where: { $0.0 == requested }) else {
                throw FailoverError(.refused, "\(requested) is not a reachable standby")
            }
            chosen = match
            if !force, let best = reachable.max(by: { $0.1 < $1.1 }), best.1 > match.1 {
                throw FailoverError(
                    .refused,
                    "\(requested) has replayed \(match.1), behind \(best.0) at \(best.1); "
                        + "fail over to \(best.0) or pass --force")
            }
        } else {
            // Highest LSN first; equal positions by priority, then by name, so the choice is deterministic.
            guard
                let best = reachable.max(by: { a, b in
                    a.1 == b.1 ? (rank(a.0), a.0) > (rank(b.0), b.0) : a.1 < b.1
                })
            else {
                throw FailoverError(.refused, "no reachable standby to promote")
            }
            chosen = best
        }
        let lag = oldPrimaryLSN.map { $0.bytes(after: chosen.1) }
        if let lag, lag > maxLag, !force {
            throw FailoverError(
                .refused,
                "\(chosen.0) lags the old primary by \(lag) bytes, more than max-lag-on-failover (\(maxLag)); "
                    + "writes would be lost: pass --force to accept that")
        }
        return (chosen.0, lag)
    }

    /// `select` for standbys that report no WAL position: the least lag first (unknown lag last), then priority,
    /// then name.
    private static func selectByLag(
        _ standbys: [(RegionName, DatabaseProbe)], requested: RegionName?, rank: (RegionName) -> Int
    ) throws(FailoverError) -> (region: RegionName, lagBytes: UInt64?) {
        if let requested {
            guard standbys.contains(where: { $0.0 == requested }) else {
                throw FailoverError(.refused, "\(requested) is not a reachable standby")
            }
            return (requested, nil)
        }
        let ranked = standbys.map { ($0.0, $0.1.lagSeconds ?? .infinity, rank($0.0)) }
        guard let best = ranked.min(by: { ($0.1, $0.2, $0.0) < ($1.1, $1.2, $1.0) }) else {
            throw FailoverError(.refused, "no reachable standby to promote")
        }
        return (best.0, nil)
    }
}
