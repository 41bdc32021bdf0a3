#!/usr/bin/env python3
"""A Modbus TCP/RTU meter simulator for Strata's tests and benchmarks (pymodbus 3.16).

Serves the register layout of Strata's own profile files (Sources/StrataConfig/Profiles),
with values that change on every read, and logs what each read served as JSON lines so a
test can compare the store with it.

  modbus_sim.py --port 5020 --device 1:eastron-sdm630 --device 2:carlo-gavazzi-em340
  modbus_sim.py --serial /dev/pts/5 --device 3:eastron-sdm120
  --device 4:eastron-sdm630:exception=0x48   reads covering register 0x48 answer exception 2
  --device 5:silent                          unit 5 never answers (a hung meter)
  --device 1-50:eastron-sdm630               fifty meters behind one gateway
"""
import argparse
import asyncio
import json
import math
import os
import signal
import struct
import sys
import tomllib

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILES = os.path.join(HERE, "..", "..", "Sources", "StrataConfig", "Profiles")
WORDS = {"u16": 1, "s16": 1, "u32": 2, "s32": 2, "u64": 4, "float32": 2, "float64": 4}
SUNSPEC_BASE = 40000
# Scale factors the simulated SunSpec meter declares, by scale-factor offset.
SUNSPEC_SF = {4: -2, 13: -1, 15: -2, 20: 0, 35: 0, 52: 0}


def load_profile(name):
    with open(os.path.join(PROFILES, name + ".toml"), "rb") as f:
        p = tomllib.load(f)
    regs = []
    for r in p["registers"]:
        regs.append({
            "channel": r["channel"],
            "address": r["address"],
            "type": r.get("type", p.get("type")),
            "order": r.get("word_order", p.get("word_order", "high-first")),
            "scale": r.get("scale", 1.0),
            "sf": r.get("scale_factor"),
            "kind": r["kind"],
            "unit": r["unit"],
        })
    return p.get("discovery", "none"), regs


def encode(value, typ, order):
    """Engineering value -> (registers, the value a correct reader decodes)."""
    if typ == "float32":
        raw = struct.pack(">f", value)
        decoded = struct.unpack(">f", raw)[0]
    elif typ == "float64":
        raw = struct.pack(">d", value)
        decoded = value
    else:
        n = int(round(value))
        fmt = {"u16": ">H", "s16": ">h", "u32": ">I", "s32": ">i", "u64": ">Q"}[typ]
        raw = struct.pack(fmt, n)
        decoded = n
    words = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]
    if order in ("low-first", "lsw-first", "little", "word-swapped", "cdab"):
        words.reverse()
    return words, decoded


class Meter:
    def __init__(self, unit, profile, exception_at=None):
        self.unit = unit
        self.profile = profile
        self.discovery, self.regs = load_profile(profile)
        self.exception_at = exception_at
        self.reads = 0
        self.offset = 0
        if self.discovery == "sunspec":
            # "SunS", common model 1 (66 words), meter model 203 (105 words), end marker.
            self.offset = SUNSPEC_BASE + 2 + 2 + 66 + 2
        top = max(self.offset + r["address"] + WORDS[r["type"]] for r in self.regs) + 4
        if self.discovery == "sunspec":
            top = max(top, self.offset + 105 + 2)
        self.base = SUNSPEC_BASE if self.discovery == "sunspec" else 0
        self.size = top - self.base + 2
        self.registers = None

    def simdata(self):
        init = [0] * self.size
        if self.discovery == "sunspec":
            b = SUNSPEC_BASE
            init[0:2] = [0x5375, 0x6E53]
            init[2:4] = [1, 66]
            i = 4 + 66
            init[i:i + 2] = [203, 105]
            for off, sf in SUNSPEC_SF.items():
                init[self.offset - b + off] = sf & 0xFFFF
            end = self.offset - b + 105
            init[end:end + 2] = [0xFFFF, 0]
        return SimData(self.base, values=init, datatype=DataType.REGISTERS)

    def value(self, r, k):
        """The engineering value of register r at read k: counters climb, gauges wander."""
        c = r["channel"]
        if r["kind"] == "counter":
            return 1000.0 + self.unit * 100 + k * 0.5 + (0 if "import" in c else 250)
        if r["unit"] == "V":
            return 230.0 + (k % 7) * 0.3 + self.unit * 0.1
        if r["unit"] == "A":
            return 5.0 + (k % 5) * 0.25
        if r["unit"] == "W":
            return 1000.0 + (k % 9) * 12.5
        if r["unit"] == "Hz":
            return 50.0 + ((k % 3) - 1) * 0.01
        return 0.9 + (k % 4) * 0.01

    def serve(self, fc, start, address, count, registers, log):
        if self.exception_at is not None and address <= self.exception_at < address + count:
            return ExcCodes.ILLEGAL_ADDRESS
        k = self.reads
        self.reads += 1
        served = {}
        for r in self.regs:
            a = self.offset + r["address"]
            n = WORDS[r["type"]]
            if not (address <= a and a + n <= address + count):
                continue
            v = self.value(r, k)
            sf = SUNSPEC_SF.get(r["sf"], 0) if r["sf"] is not None else 0
            raw_value = v / r["scale"] / (10 ** sf)
            words, decoded = encode(raw_value, r["type"], r["order"])
            registers[a - start:a - start + n] = words
            served[r["channel"]] = decoded * r["scale"] * (10 ** sf)
        if served and log:
            log.write(json.dumps({"unit": self.unit, "read": k, "fc": fc, "address": address, "count": count,
                                  "values": served}) + "\n")
            log.flush()
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5020)
    ap.add_argument("--serial", help="serve Modbus RTU on this serial device instead of TCP")
    ap.add_argument("--baud", type=int, default=9600)
    ap.add_argument("--parity", default="N")
    ap.add_argument("--device", action="append", required=True, help="UNIT:PROFILE[:exception=ADDR] or UNIT:silent")
    ap.add_argument("--log", help="append one JSON line per served read")
    args = ap.parse_args()

    log = open(args.log, "a") if args.log else None
    devices = []
    specs = []
    for spec in args.device:
        # "1-50:eastron-sdm630" is fifty meters behind one gateway.
        first, _, rest = spec.partition(":")
        lo, _, hi = first.partition("-")
        for u in range(int(lo), int(hi or lo) + 1):
            specs.append(f"{u}:{rest}")
    for spec in specs:
        parts = spec.split(":")
        unit = int(parts[0])
        if parts[1] == "silent":
            # A hung meter: the request is taken and never answered.
            async def hang(fc, start, address, count, registers, set_values):
                await asyncio.sleep(3600)
                return ExcCodes.DEVICE_FAILURE

            devices.append(SimDevice(id=unit, simdata=[SimData(0, values=[0] * 128, datatype=DataType.REGISTERS)], action=hang))
            continue
        exc = None
        for extra in parts[2:]:
            if extra.startswith("exception="):
                exc = int(extra.split("=", 1)[1], 0)
        meter = Meter(unit, parts[1], exc)

        async def action(fc, start, address, count, registers, set_values, meter=meter):
            if set_values is not None:
                return ExcCodes.ILLEGAL_FUNCTION
            return meter.serve(fc, start, address, count, registers, log)

        devices.append(SimDevice(id=unit, simdata=[meter.simdata()], action=action))

    async def run():
        if args.serial:
            server = ModbusSerialServer(devices, port=args.serial, baudrate=args.baud, parity=args.parity,
                                        ignore_missing_devices=True)
        else:
            server = ModbusTcpServer(devices, address=(args.host, args.port), ignore_missing_devices=True)
        print(f"modbus_sim ready {'serial ' + args.serial if args.serial else f'tcp {args.host}:{args.port}'}",
              flush=True)
        await server.serve_forever()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
