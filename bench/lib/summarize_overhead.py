#!/usr/bin/env python3
"""Summary table of bench/overhead.sh (and bench/databases.sh) from a rounds.tsv. The output
format is quoted by docs/performance.md: keep it stable (add lines, do not rename fields).

The defaults describe HTTP under wrk. --title, --client, --rate, --unit and --noun relabel the
same table for another load (databases.sh: redis-benchmark ops, pgbench transactions); the
columns of rounds.tsv keep their first names (nginx_ticks is the service's CPU, wrk_cpu_us the
load generator's, rps the throughput, requests the operations served)."""
import argparse
import csv
import datetime
import statistics


def quantiles(xs):
    """(min, q1, median, q3, max) with the inclusive method (fine for 12+ points)."""
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0], xs[0], xs[0], xs[0], xs[0]
    q1, q2, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return xs[0], q1, q2, q3, xs[-1]


def fmt_spread(xs, f="{:.3f}"):
    lo, q1, med, q3, hi = quantiles(xs)
    return f.format(med), f"{f.format(lo)}..{f.format(hi)}", f"{f.format(q1)}..{f.format(q3)}"


def loss_verdict(rows, median_rps, agent_args, rate="req/s"):
    """One sentence on kernel-side losses at this sustained rate, stated either way: 'loses
    nothing' is a claim of the docs (issue 5), so the report must say it, or say it is false."""
    lost = int(sum(r["ringbuf_full"] for r in rows if r["ringbuf_full"] >= 0))
    sent = int(sum(r["events_sent"] for r in rows if r["events_sent"] >= 0))
    counted = sum(1 for r in rows if r["ringbuf_full"] >= 0)
    lossy = sum(1 for r in rows if r["ringbuf_full"] > 0)
    config = "the default configuration" if not agent_args.strip() else f"agent args \"{agent_args}\""
    if counted == 0:
        return "losses: UNKNOWN (no exit counters were read)"
    if lost == 0:
        return (f"losses: none. At a sustained {median_rps:.0f} {rate} (median), {config} lost no event "
                f"in {counted}/{len(rows)} rounds with counters ({sent} events delivered, ringbuf_full=0)")
    return (f"losses: YES. {config} lost {lost} events (ringbuf_full) in {lossy}/{counted} rounds "
            f"at a sustained {median_rps:.0f} {rate} (median), {sent} delivered")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tsv")
    ap.add_argument("--tick-hz", type=float, default=100)
    ap.add_argument("--kernel", default="?")
    ap.add_argument("--cpus", default="?")
    ap.add_argument("--workers", default="?")
    ap.add_argument("--wrk", default="?")
    ap.add_argument("--rounds", default="?")
    ap.add_argument("--bpf-stats", default="1")
    ap.add_argument("--agent-args", default="")
    ap.add_argument("--foreign-tracepoints", default="0")
    ap.add_argument("--programs", default="")
    ap.add_argument("--loadavg", default="?")
    ap.add_argument("--service", default="nginx", help="nginx or python: names the service's columns")
    ap.add_argument("--title", default="otelbpf overhead")
    ap.add_argument("--client", default="wrk", help="the load generator's name (its CPU is wrk_cpu_us)")
    ap.add_argument("--rate", default="req/s", help="throughput label")
    ap.add_argument("--unit", default="req", help="per-operation label: us/UNIT")
    ap.add_argument("--noun", default="request", help="an operation, in words")
    a = ap.parse_args()

    rows = list(csv.DictReader(open(a.tsv), delimiter="\t"))
    for r in rows:
        for k, v in r.items():
            if k != "mode":
                r[k] = float(v)
        r.setdefault("wrk_cpu_us", -1.0)
    void_rounds = sorted({int(r["round"]) for r in rows if r.get("valid", 1) == 0})
    rows = [r for r in rows if int(r["round"]) not in void_rounds]
    modes = []
    for r in rows:
        if r["mode"] not in modes:
            modes.append(r["mode"])
    order = ["baseline", "floor", "otelbpf", "otelbpf-compare", "otelbpf-noexport",
             "baseline-close", "floor-close", "otelbpf-close", "otelbpf-noexport-close"]
    modes.sort(key=lambda m: order.index(m) if m in order else 99)
    by = {(int(r["round"]), r["mode"]): r for r in rows}
    rounds = sorted({int(r["round"]) for r in rows})
    us_per_tick = 1e6 / a.tick_hz
    has_wrk_cpu = all(r["wrk_cpu_us"] >= 0 for r in rows)

    def total_cpu_us(r):
        """CPU per request of everything the test runs: the service, wrk, agent and sink."""
        ticks = r["nginx_ticks"] + r["agent_ticks"] + r["sink_ticks"]
        return (ticks * us_per_tick + r["wrk_cpu_us"]) / r["requests"] if r["requests"] else 0

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
    print()
    print(f"== {a.title} ==")
    cl, u, noun = a.client, a.unit, a.noun
    svc = a.service
    # The nginx header stays as it was (docs quote it); other services say which they are.
    service_field = f"nginx_workers={a.workers}" if svc == "nginx" else f"service={svc} workers={a.workers}"
    print(f"date={now} kernel={a.kernel} cpus={a.cpus} {service_field} load=\"{a.wrk}\" "
          f"rounds={a.rounds} bpf_stats={'on' if a.bpf_stats == '1' else 'off'} "
          f"agent_args=\"{a.agent_args}\" foreign_tracepoint_progs={a.foreign_tracepoints}")
    print(f"loadavg: {a.loadavg} (others' work on this machine during the run)")
    if void_rounds:
        print(f"void rounds (an agent exited mid-round, all modes of the round dropped): {void_rounds}")
    print()
    # 16 columns as always, wider only for the long mode names (otelbpf-noexport-close).
    mw = max([16] + [len(m) + 2 for m in modes])
    sw = max(14, len(svc) + len(u) + 5)  # 14 as always for nginx and python
    hdr = (f"{'mode':<{mw}}{a.rate + ' med':>11}{'ratio med':>11}{'ratio min..max':>17}{'ratio IQR':>15}"
           f"{svc + ' us/' + u:>{sw}}{'agent us/' + u:>14}{'eBPF ns/' + u:>13}"
           + (f"{'total us/' + u:>14}{'cpu ratio':>11}" if has_wrk_cpu else ""))
    print(hdr)
    print("-" * len(hdr))
    details = []
    for m in modes:
        base_name = "baseline-close" if m.endswith("-close") else "baseline"
        mine = [by[(rd, m)] for rd in rounds if (rd, m) in by]
        rps = [r["rps"] for r in mine]
        ratios = [by[(rd, m)]["rps"] / by[(rd, base_name)]["rps"]
                  for rd in rounds if (rd, m) in by and (rd, base_name) in by and by[(rd, base_name)]["rps"] > 0]
        req = sum(r["requests"] for r in mine)
        nginx_us = sum(r["nginx_ticks"] for r in mine) * us_per_tick / req if req else 0
        agent_us = [r["agent_ticks"] * us_per_tick / r["requests"] for r in mine if r["requests"]]
        # A round whose programs never ran had its run-time accounting off (bpf_stats_enabled
        # switched off by someone else): no figure, rather than a false 0.
        bpf_ns = [r["bpf_ns"] / r["requests"] for r in mine if r["requests"] and r["bpf_cnt"] > 0]
        has_agent = not m.startswith("baseline")
        med, rng, iqr = fmt_spread(ratios) if m != base_name else ("1.000", "-", "-")
        agent_col = f"{statistics.median(agent_us):.2f}" if has_agent and agent_us else "-"
        bpf_col = f"{statistics.median(bpf_ns):.0f}" if has_agent and a.bpf_stats == "1" and bpf_ns else "-"
        line = (f"{m:<{mw}}{statistics.median(rps):>11.0f}{med:>11}{rng:>17}{iqr:>15}"
                f"{nginx_us:>{sw}.2f}{agent_col:>14}{bpf_col:>13}")
        cpu_ratios = []
        if has_wrk_cpu:
            totals = [total_cpu_us(r) for r in mine]
            cpu_ratios = [total_cpu_us(by[(rd, base_name)]) / total_cpu_us(by[(rd, m)])
                          for rd in rounds if (rd, m) in by and (rd, base_name) in by and total_cpu_us(by[(rd, m)]) > 0]
            line += f"{statistics.median(totals):>14.2f}{statistics.median(cpu_ratios):>11.3f}"
        print(line)

        if has_agent:
            lines = []
            au = fmt_spread(agent_us, "{:.2f}")
            total_ticks = sum(r["agent_ticks"] for r in mine)
            lines.append(f"  agent cpu (user+sys)   us/{u} median={au[0]} min..max={au[1]} IQR={au[2]} "
                         f"all_rounds={total_ticks * us_per_tick / req:.2f}")
            if a.bpf_stats == "1" and bpf_ns:
                bn = fmt_spread(bpf_ns, "{:.0f}")
                counted = [r for r in mine if r["bpf_cnt"] > 0]
                runs = sum(r["bpf_cnt"] for r in counted)
                tot = sum(r["bpf_ns"] for r in counted)
                req_counted = sum(r["requests"] for r in counted)
                lines.append(f"  eBPF run time          ns/{u} median={bn[0]} min..max={bn[1]} IQR={bn[2]} "
                             f"ns/run={tot / runs if runs else 0:.0f} runs/{u}={runs / req_counted if req_counted else 0:.1f} "
                             f"programs={int(mine[-1]['bpf_progs'])}"
                             + (f" (rounds without run times: {len(mine) - len(counted)})" if len(counted) < len(mine) else ""))
            base_rows = [by[(rd, base_name)] for rd in rounds if (rd, base_name) in by]
            base_req = sum(r["requests"] for r in base_rows)
            base_nginx = sum(r["nginx_ticks"] for r in base_rows) * us_per_tick / base_req if base_req else 0
            lines.append(f"  {svc + ' cpu':<23}us/{u}={nginx_us:.2f} baseline={base_nginx:.2f} "
                         f"delta={nginx_us - base_nginx:+.2f}")
            if has_wrk_cpu:
                wrk_us = sum(r["wrk_cpu_us"] for r in mine) / req if req else 0
                base_wrk = sum(r["wrk_cpu_us"] for r in base_rows) / base_req if base_req else 0
                cr = fmt_spread(cpu_ratios)
                lines.append(f"  {cl + ' cpu':<23}us/{u}={wrk_us:.2f} baseline={base_wrk:.2f} delta={wrk_us - base_wrk:+.2f}")
                lines.append(f"  cpu ratio              median={cr[0]} min..max={cr[1]} IQR={cr[2]}")
            if m.startswith("otelbpf"):
                exports = "noexport" not in m
                sink_us = sum(r["sink_ticks"] for r in mine) * us_per_tick / req if req else 0
                lines.append(f"  otlp sink cpu          us/{u}={sink_us:.2f}"
                             + ("" if exports else " (no export in this mode: the sink is idle)"))
                tot = lambda k: int(sum(r[k] for r in mine if r[k] >= 0))
                missing = sum(1 for r in mine if r["spans"] < 0)
                spans = tot("spans")
                lines.append(f"  {noun}s={int(req)} spans={spans} spans/{noun}={spans / req if req else 0:.3f} "
                             f"(expected 2: {svc} SERVER + {cl} CLIENT, unless --agent-args narrows it)")
                lines.append(f"  events_sent={tot('events_sent')} records={tot('records')} "
                             f"ringbuf_full={tot('ringbuf_full')} (events lost) "
                             f"rounds_with_loss={sum(1 for r in mine if r['ringbuf_full'] > 0)}/{len(mine)}")
                if exports:
                    lines.append(f"  otlp exported={tot('exported')} dropped_queue_full={tot('dropped_queue_full')} "
                                 f"dropped_export_failed={tot('dropped_export_failed')}"
                                 + (f"  ({missing} rounds without an exit log)" if missing else ""))
                else:
                    lines.append("  otlp: no export (no endpoint); spans are built and dropped, metrics on Prometheus only"
                                 + (f"  ({missing} rounds without an exit log)" if missing else ""))
                lines.append("  " + loss_verdict(mine, statistics.median(rps), a.agent_args, a.rate))
            errs = int(sum(r["errors"] for r in mine))
            if errs:
                lines.append(f"  {cl} errors={errs}")
            details.append((m, lines))
    print()
    for m, lines in details:
        print(f"{m}:")
        for l in lines:
            print(l)
    if a.programs and a.bpf_stats == "1":
        prog_rows = [p for p in csv.DictReader(open(a.programs), delimiter="\t")
                     if int(p["round"]) not in void_rounds]
        for m in modes:
            if m.startswith("baseline"):
                continue
            mine = [p for p in prog_rows if p["mode"] == m]
            if not mine:
                continue
            req = sum(float(r["requests"]) for r in rows if r["mode"] == m)
            agg = {}
            for p in mine:
                ns, cnt = agg.get(p["program"], (0, 0))
                agg[p["program"]] = (ns + int(p["run_time_ns"]), cnt + int(p["run_cnt"]))
            total = sum(ns for ns, _ in agg.values()) or 1
            print()
            print(f"{m}: eBPF programs by run time (all rounds; programs that never ran omitted)")
            print(f"  {'program':<26}{'ns/' + u:>9}{'runs/' + u:>10}{'ns/run':>9}{'share':>8}")
            for name, (ns, cnt) in sorted(agg.items(), key=lambda kv: -kv[1][0]):
                if cnt == 0:
                    continue
                print(f"  {name:<26}{ns / req:>9.0f}{cnt / req:>10.2f}{ns / cnt:>9.0f}{100 * ns / total:>7.1f}%")
    print()
    print(f"ratio = {a.rate} of the mode / {a.rate} of the same round's baseline; med/min..max/IQR over rounds.")
    print(f"us/{u} = CPU time (utime+stime from /proc/PID/stat) / {noun}s served in the window.")
    if has_wrk_cpu:
        print(f"total us/{u} = {a.service} + {cl} (rusage) + agent + sink CPU per {noun}; cpu ratio = baseline total /")
        print("  mode total, per round: the throughput ratio if the two cores were the only limit (derived, not measured).")


if __name__ == "__main__":
    main()
