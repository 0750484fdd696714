import Failover
import Foundation

/// The write lease as a replica grants it (DESIGN.md §3): answers from its last state read within its etcd
/// session, each region's first grant in a session recorded in etcd before it is answered, and the record
/// withdrawn once the region is fenced and its last lease has ended.
extension ControllerReplica {
    /// A portal's lease request, answered from this replica's last state read and its etcd session. The first
    /// grant to a region in a session is recorded in etcd first, and only if the state has not changed since it
    /// was read (`ControlStore.recordGrant`).
    public func lease(for region: RegionName, nonce: String?) async -> LeaseAnswer {
        let answer = await lease(for: region)
        guard let key = LeaseSignature.privateKey(base64: configuration.leaseSigningKey),
            let signed = try? LeaseSignature.sign(answer, nonce: nonce ?? "", with: key)
        else { return answer }
        return signed
    }

    func lease(for region: RegionName) async -> LeaseAnswer {
        guard let state = cachedState, let readSentAt = stateReadSentAt else {
            return LeaseAnswer(
                decision: .fenced, region: region, primary: configuration.initialPrimary, epoch: 0,
                durationMilliseconds: 0, reason: "this replica has not read the control-plane state yet")
        }
        let grant = ReplicaLeaseGrant(stateReadSentAt: readSentAt, sessionHorizon: sessionHorizon)
        var answer = grant.answer(for: region, state: state, now: .now, duration: settings.leaseDuration)
        guard answer.decision == .granted else { return answer }
        guard !withdrawing.contains(region) else {
            answer.decision = .fenced
            answer.durationMilliseconds = 0
            answer.reason = "this replica is withdrawing its grant record for \(region)"
            return answer
        }
        if !recordedGrants.contains(region) {
            let revision = cachedRevision
            guard let lease = etcdLease,
                (try? await store.recordGrant(
                    of: region, by: configuration.region, lease: lease.id, stateRevision: revision)) == true
            else {
                answer.decision = .fenced
                answer.durationMilliseconds = 0
                answer.reason =
                    "this replica could not record its grant in etcd (the state changed, or etcd is out of reach)"
                return answer
            }
            // The answer is computed again: the record took time, and the session may have been lost meanwhile.
            guard etcdLease?.id == lease.id else { return await self.lease(for: region) }
            recordedGrants.insert(region)
            answer = grant.answer(for: region, state: state, now: .now, duration: settings.leaseDuration)
        }
        leaseAnswered = true
        let ends = ContinuousClock.now + .milliseconds(answer.durationMilliseconds)
        grantsEnd[region] = max(grantsEnd[region] ?? ends, ends)
        if let controller { await controller.noteLeaseAnswered() }
        return answer
    }

    /// Withdraws the grant record of every region the state no longer grants to, once the last lease this replica
    /// gave it has surely ended (+ `clock-margin` for clock rates): a failover's fence then waits for the failed
    /// region's own replica only, not for every replica that ever answered one of its portals (a portal falls back
    /// to other regions' replicas, at start-up for example, and those records would last as long as their sessions).
    func withdrawEndedGrants() async {
        guard let state = cachedState, let lease = etcdLease else { return }
        for region in recordedGrants where state.leaseDecision(for: region).0 != .granted {
            guard (grantsEnd[region] ?? .now) + settings.clockMargin <= .now, !withdrawing.contains(region) else {
                continue
            }
            withdrawing.insert(region)
            defer { withdrawing.remove(region) }
            guard (try? await store.withdrawGrant(of: region, by: configuration.region)) != nil,
                etcdLease?.id == lease.id
            else { continue }
            recordedGrants.remove(region)
            grantsEnd[region] = nil
            logger.info("grant withdrawn", metadata: ["region": "\(region)"])
        }
    }
}
