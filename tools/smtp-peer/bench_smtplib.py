#!/usr/bin/env python3
"""Reference for `strata-bench mail`: Python's email package builds the same messages and
smtplib sends the same .eml files over one session to the same server, in the same run.

  bench_smtplib.py --port P --dir DIR --count N --size KB
Prints one JSON line: build_s, send_wall_s, send_cpu_s.
"""
import argparse, glob, json, os, resource, smtplib, time
from email.message import EmailMessage


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--size", type=int, default=100)
    a = ap.parse_args()
    data = os.urandom(a.size * 1024)
    text = "Monthly report\n" + "Main meter: 12345.678 kWh\n" * 40
    html = "<html><body>" + "<tr><td>Main</td><td>12345.678 kWh</td></tr>" * 40 + "</body></html>"
    t0 = time.perf_counter()
    for i in range(a.count):
        m = EmailMessage()
        m["From"] = "strata@example.org"
        m["To"] = "fm@example.org"
        m["Subject"] = f"Monatsbericht {i} – Werk Süd"
        m["Message-ID"] = f"<bench.{i}@example.org>"
        m.set_content(text)
        m.add_alternative(html, subtype="html")
        m.add_attachment(data, maintype="application", subtype="zip", filename=f"report-{i}.zip")
        m.as_bytes()
    build = time.perf_counter() - t0
    files = sorted(glob.glob(os.path.join(a.dir, "*.eml")))
    bodies = [open(f, "rb").read() for f in files]
    c0, t0 = cpu(), time.perf_counter()
    s = smtplib.SMTP("127.0.0.1", a.port)
    s.ehlo()
    for b in bodies:
        s.sendmail("strata@example.org", ["fm@example.org"], b)
    s.quit()
    print(json.dumps({"build_s": build, "send_wall_s": time.perf_counter() - t0, "send_cpu_s": cpu() - c0}))


if __name__ == "__main__":
    main()
