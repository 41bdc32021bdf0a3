#!/usr/bin/env python3
"""The reference for Strata's polling benchmark: a plain pymodbus client doing the same reads.

One asyncio client per gateway, gateways in parallel, the units behind a gateway one after
another (as Strata polls them), each read decoded as float32. Prints JSON: seconds of wall time
and of CPU time per round (medians over the rounds).
"""
import argparse
import asyncio
import json
import statistics
import struct
import time

from pymodbus.client import AsyncModbusTcpClient


async def gateway(client, units, start, count):
    for u in units:
        rr = await client.read_input_registers(start, count=count, device_id=u)
        regs = rr.registers
        [struct.unpack(">f", struct.pack(">HH", regs[i], regs[i + 1]))[0] for i in range(0, len(regs) - 1, 2)]


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ports", required=True, help="comma-separated gateway ports")
    ap.add_argument("--units", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--count", type=int, default=76)
    args = ap.parse_args()
    ports = [int(p) for p in args.ports.split(",")]
    clients = [AsyncModbusTcpClient("127.0.0.1", port=p, timeout=2) for p in ports]
    for c in clients:
        await c.connect()
    walls, cpus = [], []
    for _ in range(args.rounds + 1):
        w0, c0 = time.perf_counter(), time.process_time()
        await asyncio.gather(*[gateway(c, range(1, args.units + 1), 0, args.count) for c in clients])
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    for c in clients:
        c.close()
    # The first round (connection warm-up) is left out, as for Strata.
    print(json.dumps({"wall": statistics.median(walls[1:]), "cpu": statistics.median(cpus[1:])}))


asyncio.run(main())
