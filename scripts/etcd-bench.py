#!/usr/bin/env python3
"""What the lab's etcd members cost: write latency from each region to its own member, the members' memory and
CPU while idle, and how long a write-lease renewal takes.

Usage: scripts/etcd-bench.py [--dir .drlab] [--writes 50] [--idle 20] [--leases 50] [--kill-leader]

Each region's member is reached directly (a controller in that region would do the same); a put commits once a
majority of members has it, so its latency is the round trip to the raft leader plus the leader's round trip to its
nearest follower, across the WAN emulator. Memory is VmRSS; CPU is utime+stime from /proc over `--idle` seconds of
no client traffic (raft heartbeats only). With --kill-leader it then SIGKILLs the raft leader's member (by the pid
in lab.json, after checking /proc/PID/exe) and prints how long until a put through another member commits again;
`drctl fault REGION --heal` starts the member again.
Lease renewal: `--leases` lease requests for the primary's region, one after the other, to each replica as a portal
of that region sends them (POST /v1/lease with the lab's bearer token and a nonce; its own region's replica directly,
the others through the WAN emulator), with the answer's decision; a replica answers from the state it polls, so no
etcd round trip is in this path once its grant is recorded.
"""
import argparse, base64, json, os, signal, statistics, time, urllib.request


def post(url, body, token=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.loads(response.read())


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default=".drlab")
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--idle", type=float, default=20)
    parser.add_argument("--leases", type=int, default=50)
    parser.add_argument("--kill-leader", action="store_true")
    args = parser.parse_args()
    with open(os.path.join(args.dir, "lab.json")) as f:
        lab = json.load(f)
    members = [(r["name"], r["etcd"]) for r in lab["regions"] if r.get("etcd")]
    if not members:
        raise SystemExit(f"{args.dir}/lab.json has no etcd members (a lab started before they existed?)")
    print(f"latency scale {lab['latencyScale']}")
    key = base64.b64encode(b"/etcd-bench/key").decode()
    for name, member in members:
        url = f"http://127.0.0.1:{member['clientPort']}/v3/kv/put"
        samples = []
        for i in range(args.writes):
            start = time.perf_counter()
            post(url, {"key": key, "value": base64.b64encode(str(i).encode()).decode()})
            samples.append((time.perf_counter() - start) * 1000)
        samples.sort()
        print(
            f"put from {name:15} p50 {statistics.median(samples):7.1f} ms  "
            f"p99 {samples[min(len(samples) - 1, int(0.99 * len(samples)))]:7.1f} ms  ({args.writes} writes)")
    pids = {name: member["process"]["pid"] for name, member in members}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    time.sleep(args.idle)
    for name, pid in pids.items():
        share = (cpu_seconds(pid) - before[name]) / args.idle * 100
        print(f"member {name:15} RSS {rss_kib(pid) / 1024:6.1f} MiB  idle CPU {share:5.2f} % of one core")
    lease_latency(lab, args.leases)
    if args.kill_leader:
        kill_leader(members, key)


def lease_latency(lab, count):
    primary = lab["primary"]
    own = next(r for r in lab["regions"] if r["name"] == primary)
    urls = [(primary, f"http://127.0.0.1:{own['controller']['port']}")] + [
        (r["name"], f"http://127.0.0.1:{r['controller']['routes'][primary]}")
        for r in lab["regions"] if r["name"] != primary and r.get("controller", {}).get("routes", {}).get(primary)]
    for name, url in urls:
        samples, decisions = [], {}
        for i in range(count):
            start = time.perf_counter()
            answer = post(url + "/v1/lease", {"region": primary, "nonce": f"bench-{i}"}, lab["controlToken"])
            samples.append((time.perf_counter() - start) * 1000)
            decision = answer.get("decision", "?")
            decisions[decision] = decisions.get(decision, 0) + 1
        samples.sort()
        print(
            f"lease for {primary} from {name:15} p50 {statistics.median(samples):7.1f} ms  "
            f"p99 {samples[min(len(samples) - 1, int(0.99 * len(samples)))]:7.1f} ms  ({count} requests: "
            + ", ".join(f"{k} {v}" for k, v in sorted(decisions.items())) + ")")


def kill_leader(members, key):
    urls = {name: f"http://127.0.0.1:{member['clientPort']}" for name, member in members}
    statuses = {name: post(url + "/v3/maintenance/status", {}) for name, url in urls.items()}
    leader = next(name for name, status in statuses.items() if status["leader"] == status["header"]["member_id"])
    pid = dict(members)[leader]["process"]["pid"]
    if not os.readlink(f"/proc/{pid}/exe").endswith("etcd"):
        raise SystemExit(f"pid {pid} is not etcd any more")
    old = statuses[leader]["leader"]
    others = [url for name, url in urls.items() if name != leader]
    start = time.perf_counter()
    os.kill(pid, signal.SIGKILL)
    elected = None
    while elected is None:
        for url in others:
            try:
                req = urllib.request.Request(url + "/v3/maintenance/status", data=b"{}", method="POST")
                with urllib.request.urlopen(req, timeout=0.2) as response:
                    now = json.loads(response.read()).get("leader", "0")
                if now not in ("0", old):
                    elected = time.perf_counter()
                    break
            except Exception:
                pass
        time.sleep(0.01)
    post(others[0] + "/v3/kv/put", {"key": key, "value": base64.b64encode(b"after").decode()})
    committed = time.perf_counter()
    print(
        f"raft leader {leader} killed: new leader after {(elected - start) * 1000:.0f} ms, a put through another "
        f"member commits {(committed - start) * 1000:.0f} ms after the kill; restart it with drctl fault {leader} --heal")


if __name__ == "__main__":
    main()
