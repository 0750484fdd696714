#!/usr/bin/env python3
"""Steady write load through one region's portal of a running lab; prints write latency and replication lag.

Usage: scripts/lab-bench.py [--dir .drlab] [--region eu-west-1] [--duration 30] [--rate 20] [--customers 40]

Writes are PATCH /v1/me (a profile update: one transaction on the primary, reached over the WAN through the
region's writer endpoint), sent open-loop at a fixed rate. Replication lag is sampled every 100 ms from the
primary's pg_stat_replication (replay_lag: the time from the primary flushing WAL to the standby reporting it
applied, which includes the round trip; and the bytes between the primary's position and the replayed one).
"""
import argparse, concurrent.futures, json, os, statistics, subprocess, sys, threading, time, urllib.request, uuid


def request(method, url, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as response:
        text = response.read()
        return response.status, json.loads(text) if text else {}


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default=".drlab")
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--customers", type=int, default=40)
    args = parser.parse_args()
    if args.duration <= 0 or args.duration > 600:
        sys.exit(f"--duration must be 0–600 seconds, got {args.duration}")
    if not 1 <= args.customers <= 1000:
        sys.exit(f"--customers must be 1–1000, got {args.customers}")
    if args.rate <= 0 or args.rate > 500:
        sys.exit(f"--rate must be 0–500 per second, got {args.rate}")
    try:
        state = json.load(open(os.path.join(args.dir, "lab.json")))
    except OSError:
        sys.exit(f"no lab in {args.dir}: start one with drctl lab up")
    regions = {r["name"]: r for r in state["regions"]}
    if args.region not in regions:
        sys.exit(f"--region {args.region!r} is not in the lab ({', '.join(regions)})")
    portal = "http://127.0.0.1:%d" % regions[args.region]["portals"][0]["port"]
    primary_port = regions[state["primary"]]["postgres"]["port"]

    # Many customers: writes to one account serialize on its row lock, which is not what a region sees.
    def customer(_):
        email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
        password = "bench passphrase " + uuid.uuid4().hex[:6]
        request("POST", portal + "/v1/accounts", {"email": email, "password": password, "displayName": "Bench"})
        return request("POST", portal + "/v1/sessions", {"email": email, "password": password})[1]["accessToken"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(pool.map(customer, range(args.customers)))

    latencies, errors, lags = [], [0], {}
    stop = threading.Event()

    def sample():
        sql = ("SELECT application_name, coalesce(extract(epoch FROM replay_lag), 0), "
               "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication")
        while not stop.is_set():
            out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres", "-At",
                                  "-X", "-c", sql], capture_output=True, text=True).stdout
            for line in out.strip().splitlines():
                name, seconds, nbytes = line.split("|")
                lags.setdefault(name, ([], []))
                lags[name][0].append(float(seconds))
                lags[name][1].append(float(nbytes))
            time.sleep(0.1)

    def write(i):
        started = time.perf_counter()
        try:
            status, _ = request("PATCH", portal + "/v1/me", {"displayName": f"Bench {i}"}, tokens[i % len(tokens)])
            if status != 200:
                errors[0] += 1
                return
            latencies.append(time.perf_counter() - started)
        except Exception:
            errors[0] += 1

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    count = int(args.duration * args.rate)
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
        for i in range(count):
            delay = start + i / args.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(write, i)
    stop.set()
    sampler.join()

    print(f"durability {state['durability']}, writes through {args.region} at {args.rate:g}/s for {args.duration:g}s: "
          f"{len(latencies)} ok, {errors[0]} failed")
    print(f"  write latency  p50 {percentile(latencies, 50) * 1000:7.1f} ms   p99 {percentile(latencies, 99) * 1000:7.1f} ms")
    for name in sorted(lags):
        seconds, nbytes = lags[name]
        print(f"  lag {name:15} p50 {percentile(seconds, 50) * 1000:7.1f} ms   p99 {percentile(seconds, 99) * 1000:7.1f} ms"
              f"   bytes p50 {percentile(nbytes, 50):8.0f}  p99 {percentile(nbytes, 99):8.0f}")


if __name__ == "__main__":
    main()
