#!/usr/bin/env python3
"""Detection time and RTO of automatic failover with default settings, over N fresh labs (issue 5).

For each run: `drctl lab up` (three regions, sync, default controller settings, default WAN latencies), a
client in the us location signs up a new account through the edge every 50 ms (each request on its own
thread, 3 s timeout), the primary region is crashed (`drctl fault us-east-1 crash`), and then:
  detection = fault → the controller's `region-down` event for us-east-1
  RTO       = fault → the first 201 through the edge for a request sent after the fault
  lost      = acknowledged sign-ups missing from the new primary afterwards (sync mode: must be 0)
Prints one line per run, then the median and the worst.

    python3 scripts/failover-bench.py [--runs 10] [--drctl .build/debug/drctl]
"""
import argparse, datetime, json, shutil, statistics, subprocess, tempfile, threading, time, urllib.request


def post(url, body, headers, timeout):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except Exception:
        return 0


def get_json(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def one_run(drctl, index):
    folder = tempfile.mkdtemp(prefix=f"failover-bench-{index}-")
    try:
        subprocess.run([drctl, "lab", "up", "--dir", folder], check=True, stdout=subprocess.DEVNULL)
        state = json.load(open(f"{folder}/lab.json"))
        edge = f"http://127.0.0.1:{state['edge']['port']}"
        token = state["controlToken"]
        results, lock, stop = [], threading.Lock(), threading.Event()

        def writer():
            n = 0
            while not stop.is_set():
                n += 1
                email = f"bench-{index}-{n}@example.com"
                sent = time.time()

                def attempt(email=email, sent=sent):
                    status = post(edge + "/v1/accounts",
                                  {"email": email, "password": "correct horse battery staple 9", "displayName": "Bench"},
                                  {"X-Client-Location": "us"}, 3)
                    with lock:
                        results.append((sent, time.time(), status, email))
                threading.Thread(target=attempt, daemon=True).start()
                time.sleep(0.05)

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        time.sleep(3)
        fault = time.time()
        subprocess.run([drctl, "fault", "us-east-1", "crash", "--dir", folder], check=True, stdout=subprocess.DEVNULL)
        deadline = fault + 60
        rto = None
        while time.time() < deadline and rto is None:
            time.sleep(0.1)
            with lock:
                after = [r for r in results if r[0] >= fault and r[2] == 201]
            if after:
                rto = min(r[1] for r in after) - fault
        time.sleep(1)
        stop.set()
        time.sleep(3.5)
        # The leader after the failover (its URL from the lab's status contract); every control call needs the token.
        controller = json.loads(subprocess.run([drctl, "lab", "status", "--dir", folder, "--json"], check=True,
                                               capture_output=True, text=True).stdout)["controller"]
        events = get_json(controller + "/v1/events", token)
        down = [parse_time(e["time"]) for e in events if e["kind"] == "region-down" and e.get("region") == "us-east-1"]
        detection = (min(down) - fault) if down else None
        status = get_json(controller + "/v1/status", token)
        primary = status["primary"]
        port = next(r["postgres"]["port"] for r in state["regions"] if r["name"] == primary)
        with lock:
            acknowledged = [r[3] for r in results if r[2] == 201]
        present = set()
        if acknowledged:
            listing = ",".join(f"'{e}'" for e in acknowledged)
            output = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "portal", "-Atc",
                                     f"SELECT email FROM accounts WHERE email IN ({listing})"],
                                    check=True, capture_output=True, text=True).stdout
            present = set(output.split())
        lost = len(set(acknowledged) - present)
        return detection, rto, primary, len(acknowledged), lost
    finally:
        subprocess.run([drctl, "lab", "down", "--dir", folder, "--purge"], stdout=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--drctl", default=".build/debug/drctl")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs {args.runs}: must be at least 1")
    detections, rtos, lost_total = [], [], 0
    print("run  detection  RTO     new primary     acknowledged  lost")
    for index in range(1, args.runs + 1):
        detection, rto, primary, acknowledged, lost = one_run(args.drctl, index)
        lost_total += lost
        if detection is not None:
            detections.append(detection)
        if rto is not None:
            rtos.append(rto)
        show = lambda value: f"{value:6.2f} s" if value is not None else "  none  "
        print(f"{index:3}  {show(detection)}   {show(rto)}  {primary:14}  {acknowledged:12}  {lost}", flush=True)
    print(f"detection: median {statistics.median(detections):.2f} s, worst {max(detections):.2f} s ({len(detections)} runs)")
    print(f"RTO:       median {statistics.median(rtos):.2f} s, worst {max(rtos):.2f} s ({len(rtos)} runs)")
    print(f"acknowledged writes lost: {lost_total}")


if __name__ == "__main__":
    main()
