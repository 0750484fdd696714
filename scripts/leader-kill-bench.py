#!/usr/bin/env python3
"""Write availability while the control plane's leader is down (issue 13's measurement).

For each run: `drctl lab up` in a temporary folder (three regions, sync, default settings), customers of every
location sign up through the edge (one request every `--interval` s, 0.2 by default, round robin over us, eu and ap,
each on its own thread, 5 s timeout; a sign-up hashes a password, and a debug build's portals shed faster sign-ups
with 503s). After 10 s the leading replica is killed (`drctl fault REGION controller-crash`, which SIGKILLs the pid
the lab recorded) and kept down for `--down` seconds (20 by default), then started again (`--heal`).
Printed per run, for the sign-ups *sent* in the 10 s before the kill (the baseline) and while the leader was down:
  share  = answered 201 / sent
  gap    = the longest stretch of send times without a sign-up that got its 201 (from the kill to the first one,
           between two, and from the last one to the restart)
  leader = who led before, and who after
then the share and gap over all runs.

    python3 scripts/leader-kill-bench.py [--runs 1] [--down 20] [--interval 0.2] [--drctl .build/debug/drctl]
"""
import argparse, json, shutil, subprocess, tempfile, threading, time, urllib.error, urllib.request


def post(url, body, headers, timeout):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except Exception:
        return 0


def lab_status(drctl, folder):
    output = subprocess.run([drctl, "lab", "status", "--dir", folder, "--json"], check=True, capture_output=True,
                            text=True).stdout
    return json.loads(output)


def leader_of(drctl, folder):
    leaders = [c["region"] for c in lab_status(drctl, folder).get("controllers", []) if c.get("leader")]
    return leaders[0] if leaders else None


def one_run(drctl, index, down, interval):
    folder = tempfile.mkdtemp(prefix=f"leader-kill-bench-{index}-")
    try:
        subprocess.run([drctl, "lab", "up", "--dir", folder], check=True, stdout=subprocess.DEVNULL)
        state = json.load(open(f"{folder}/lab.json"))
        edge = f"http://127.0.0.1:{state['edge']['port']}"
        results, lock, stop = [], threading.Lock(), threading.Event()

        def writer():
            n = 0
            locations = ["us", "eu", "ap"]
            while not stop.is_set():
                n += 1
                email = f"leader-kill-{index}-{n}@example.com"
                sent = time.time()
                location = locations[n % 3]

                def attempt(email=email, sent=sent, location=location):
                    status = post(edge + "/v1/accounts",
                                  {"email": email, "password": "correct horse battery staple 9",
                                   "displayName": "Bench"},
                                  {"X-Client-Location": location}, 5)
                    with lock:
                        results.append((sent, status))
                threading.Thread(target=attempt, daemon=True).start()
                time.sleep(interval)

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        time.sleep(10)
        before = leader_of(drctl, folder)
        if before is None:
            raise SystemExit(f"run {index}: no leader in {folder}")
        killed = time.time()
        subprocess.run([drctl, "fault", before, "controller-crash", "--dir", folder], check=True,
                       stdout=subprocess.DEVNULL)
        time.sleep(down)
        healed = time.time()
        after = leader_of(drctl, folder)
        subprocess.run([drctl, "fault", before, "--heal", "--dir", folder], check=True, stdout=subprocess.DEVNULL)
        stop.set()
        time.sleep(5.5)
        with lock:
            window = sorted(r for r in results if killed <= r[0] < healed)
            baseline = [r for r in results if killed - 10 <= r[0] < killed]
        ok = [sent for sent, status in window if status == 201]
        marks = [killed] + ok + [healed]
        gap = max(b - a for a, b in zip(marks, marks[1:]))
        base = sum(1 for r in baseline if r[1] == 201) / max(len(baseline), 1)
        return len(window), len(ok), gap, before, after, base
    finally:
        subprocess.run([drctl, "lab", "down", "--dir", folder, "--purge"], stdout=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--down", type=float, default=20)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--drctl", default=".build/debug/drctl")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs {args.runs}: must be at least 1")
    if not 1 <= args.down <= 600:
        parser.error(f"--down {args.down}: must be between 1 and 600 seconds")
    if not 0.01 <= args.interval <= 10:
        parser.error(f"--interval {args.interval}: must be between 0.01 and 10 seconds")
    total_sent, total_ok, gaps = 0, 0, []
    print("run  baseline  sent  ok    share    longest gap  leader before → after")
    for index in range(1, args.runs + 1):
        sent, ok, gap, before, after, base = one_run(args.drctl, index, args.down, args.interval)
        total_sent, total_ok = total_sent + sent, total_ok + ok
        gaps.append(gap)
        print(f"{index:3}  {100 * base:6.2f} %  {sent:4}  {ok:4}  {100 * ok / max(sent, 1):6.2f} %  {gap:8.2f} s   {before} → {after}",
              flush=True)
    print(f"share of sign-ups answered 201 while the leader was down: {100 * total_ok / max(total_sent, 1):.2f} % "
          f"({total_ok} of {total_sent}); longest gap {max(gaps):.2f} s")


if __name__ == "__main__":
    main()
