#!/usr/bin/env python3
"""A Modbus TCP/RTU meter simulator for Strata's tests and benchmarks (pymodbus 3.16).

Serves meters by the register maps their makers publish, written here from those maps (see
METERS), NOT from Strata's profile files: a wrong address, function, type, word order or
scale in a shipped profile makes Strata store something other than what was served, and the
tests that compare the two fail. Values change on every read; each read is logged as a JSON
line (the engineering values a correct reader decodes) so a test can compare the store.

  modbus_sim.py --port 5020 --device 1:eastron-sdm630 --device 2:carlo-gavazzi-em340
  modbus_sim.py --serial /dev/pts/5 --device 3:eastron-sdm120
  --device 4:eastron-sdm630:exception=0x48   reads covering register 0x48 answer exception 2
  --device 6:eastron-sdm630:absurd=power     power reads as float32 3.4e38 (a broken register)
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

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.exceptions import NoSuchIdException
from pymodbus.simulator import DataType, SimData, SimDevice
from pymodbus.simulator import simcore


def _only_served_ids(self, device_id):
    """A unit id nobody serves is absent (pymodbus 3.16 answers it from unit 0, or with
    exception 4 when there is none): silent on a bus, exception 11 from a --gateway."""
    if device_id in self.devices:
        return self.devices[device_id]
    raise NoSuchIdException(f"device_id - {device_id} does not exist")


simcore.SimCore._SimCore__get_device = _only_served_ids

WORDS = {"u16": 1, "s16": 1, "u32": 2, "s32": 2, "u64": 4, "float32": 2, "float64": 4, "acc32": 2}
SUNSPEC_BASE = 40000
# Scale factors the simulated SunSpec meter declares, by point offset in model 203.
SUNSPEC_SF = {4: -2, 13: -1, 15: -2, 20: 0, 30: 0, 35: 0, 52: 0, 102: 0}


def reg(address, unit, kind="gauge", scale=1.0, type=None, sf=None):
    """One published point: raw value x scale (x 10^SF for SunSpec) is the value in `unit`."""
    return {"address": address, "unit": unit, "kind": kind, "scale": scale, "type": type, "sf": sf}


# The makers' published maps (0-based PDU addresses), in the channel names Strata uses.
# Eastron SDM630 / SDM120 Modbus protocol: input registers (FC04), IEEE 754 float32 with the
# high word first; 30001 = 0x0000 volts L1, 30007 amps L1, 30053 total W, 30061 total VAr,
# 30063 total PF, 30071 Hz, 30073 import kWh, 30075 export kWh, 30077 / 30079 import / export
# kvarh (SDM120: 30025 VAr).
SDM = {"fc": 4, "type": "float32", "order": "high"}
METERS = {
    "eastron-sdm630": dict(SDM, points={
        "voltage_l1": reg(0x00, "V"), "voltage_l2": reg(0x02, "V"), "voltage_l3": reg(0x04, "V"),
        "current_l1": reg(0x06, "A"), "current_l2": reg(0x08, "A"), "current_l3": reg(0x0A, "A"),
        "power": reg(0x34, "W"), "reactive_power": reg(0x3C, "var"), "power_factor": reg(0x3E, ""), "frequency": reg(0x46, "Hz"),
        "energy_import": reg(0x48, "kWh", "counter"), "energy_export": reg(0x4A, "kWh", "counter"),
        "reactive_import": reg(0x4C, "kvarh", "counter"), "reactive_export": reg(0x4E, "kvarh", "counter"),
    }),
    "eastron-sdm120": dict(SDM, points={
        "voltage_l1": reg(0x00, "V"), "current_l1": reg(0x06, "A"), "power": reg(0x0C, "W"), "reactive_power": reg(0x18, "var"),
        "power_factor": reg(0x1E, ""), "frequency": reg(0x46, "Hz"),
        "energy_import": reg(0x48, "kWh", "counter"), "energy_export": reg(0x4A, "kWh", "counter"),
        "reactive_import": reg(0x4C, "kvarh", "counter"), "reactive_export": reg(0x4E, "kvarh", "counter"),
    }),
    # Carlo Gavazzi EM340 communication protocol: input registers (FC04), INT32 with the LEAST
    # significant word first; V x10, A x1000, W and var x10, kWh and kvarh x10: 0x28 W sys,
    # 0x2C var sys, 0x34 kWh(+) TOT, 0x36 kvarh(+) TOT, 0x4E kWh(-) TOT, 0x50 kvarh(-) TOT.
    "carlo-gavazzi-em340": {"fc": 4, "type": "s32", "order": "low", "points": {
        "voltage_l1": reg(0x00, "V", scale=0.1), "voltage_l2": reg(0x02, "V", scale=0.1), "voltage_l3": reg(0x04, "V", scale=0.1),
        "current_l1": reg(0x0C, "A", scale=0.001), "current_l2": reg(0x0E, "A", scale=0.001), "current_l3": reg(0x10, "A", scale=0.001),
        "power": reg(0x28, "W", scale=0.1), "reactive_power": reg(0x2C, "var", scale=0.1),
        "energy_import": reg(0x34, "kWh", "counter", scale=0.1), "energy_export": reg(0x4E, "kWh", "counter", scale=0.1),
        "reactive_import": reg(0x36, "kvarh", "counter", scale=0.1), "reactive_export": reg(0x50, "kvarh", "counter", scale=0.1),
    }},
    # Janitza UMG 96RM-E Modbus address list: holding registers (FC03), float big-endian;
    # 808.. volts, 860.. amps, 874 total W, 19042 Q sum (var), 19068 / 19076 real energy
    # consumed / delivered in Wh, 19100 / 19108 inductive / capacitive reactive energy in varh.
    "janitza-umg96rme": {"fc": 3, "type": "float32", "order": "high", "points": {
        "voltage_l1": reg(808, "V"), "voltage_l2": reg(810, "V"), "voltage_l3": reg(812, "V"),
        "current_l1": reg(860, "A"), "current_l2": reg(862, "A"), "current_l3": reg(864, "A"),
        "power": reg(874, "W"), "reactive_power": reg(19042, "var"),
        "energy_import": reg(19068, "kWh", "counter", scale=0.001), "energy_export": reg(19076, "kWh", "counter", scale=0.001),
        "reactive_import": reg(19100, "kvarh", "counter", scale=0.001), "reactive_export": reg(19108, "kvarh", "counter", scale=0.001),
    }},
    # Varibits HAN2X register list: holding registers (FC03), u32 most significant word first;
    # 0 W import, 8.. s32 currents in mA, 14.. volts x10, 20 / 22 energy import / export in Wh,
    # 24 / 26 reactive energy import / export in varh (the HAN list's order; see the profile).
    "varibits-han2x": {"fc": 3, "type": "u32", "order": "high", "points": {
        "power": reg(0, "W"),
        "current_l1": reg(8, "A", scale=0.001, type="s32"), "current_l2": reg(10, "A", scale=0.001, type="s32"),
        "current_l3": reg(12, "A", scale=0.001, type="s32"),
        "voltage_l1": reg(14, "V", scale=0.1), "voltage_l2": reg(16, "V", scale=0.1), "voltage_l3": reg(18, "V", scale=0.1),
        "energy_import": reg(20, "kWh", "counter", scale=0.001), "energy_export": reg(22, "kWh", "counter", scale=0.001),
        "reactive_import": reg(24, "kvarh", "counter", scale=0.001), "reactive_export": reg(26, "kvarh", "counter", scale=0.001),
    }},
    # SunSpec model 203 (wye meter), offsets from the model's first point; int16 x 10^SF,
    # acc32 energies in Wh and varh; PF in percent; 26 VAR, 70 TotVArhImpQ1, 94 TotVArhExpQ4.
    "sunspec-meter": {"fc": 3, "type": "s16", "order": "high", "sunspec": True, "points": {
        "current_l1": reg(1, "A", sf=4), "current_l2": reg(2, "A", sf=4), "current_l3": reg(3, "A", sf=4),
        "voltage_l1": reg(6, "V", sf=13), "voltage_l2": reg(7, "V", sf=13), "voltage_l3": reg(8, "V", sf=13),
        "frequency": reg(14, "Hz", sf=15), "power": reg(16, "W", sf=20), "reactive_power": reg(26, "var", sf=30),
        "power_factor": reg(31, "", scale=0.01, sf=35),
        "energy_export": reg(36, "kWh", "counter", scale=0.001, type="acc32", sf=52),
        "energy_import": reg(44, "kWh", "counter", scale=0.001, type="acc32", sf=52),
        "reactive_import": reg(70, "kvarh", "counter", scale=0.001, type="acc32", sf=102),
        "reactive_export": reg(94, "kvarh", "counter", scale=0.001, type="acc32", sf=102),
    }},
    # A generic 8-input pulse module: holding registers (FC03), one u32 counter per input, most
    # significant word first, input n at 2(n-1). Counters start just below 2^32 and wrap.
    "generic-di8-counter": {"fc": 3, "type": "u32", "order": "high", "points": {
        f"input_{n}": reg(2 * (n - 1), "pulses", "counter") for n in range(1, 9)
    }},
}


def load_meter(name):
    """(is SunSpec, function code, the points with their type and order filled in)."""
    if name not in METERS:
        sys.exit(f"modbus_sim: no published map for meter {name!r}; known: {', '.join(sorted(METERS))}")
    m = METERS[name]
    regs = []
    for channel, p in m["points"].items():
        regs.append(dict(p, channel=channel, type=p["type"] or m["type"], order=m["order"]))
    return m.get("sunspec", False), m["fc"], regs


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
        fmt = {"u16": ">H", "s16": ">h", "u32": ">I", "s32": ">i", "u64": ">Q", "acc32": ">I"}[typ]
        raw = struct.pack(fmt, n)
        decoded = n
    words = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]
    if order == "low":
        words.reverse()
    return words, decoded


class Meter:
    def __init__(self, unit, name, exception_at=None, absurd=None):
        self.unit = unit
        self.name = name
        self.sunspec, self.fc, self.regs = load_meter(name)
        self.exception_at = exception_at
        self.absurd = absurd
        self.reads = 0
        self.offset = 0
        if self.sunspec:
            # "SunS", common model 1 (66 words), meter model 203 (105 words), end marker.
            self.offset = SUNSPEC_BASE + 2 + 2 + 66 + 2
        top = max(self.offset + r["address"] + WORDS[r["type"]] for r in self.regs) + 4
        if self.sunspec:
            top = max(top, self.offset + 105 + 2)
        self.base = SUNSPEC_BASE if self.sunspec else 0
        self.size = top - self.base + 2
        self.registers = None

    def simdata(self):
        init = [0] * self.size
        if self.sunspec:
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
        if r["unit"] == "pulses":
            n = int(c.split("_")[1])
            return float((2 ** 32 - 130 + k * 45 + n) % (2 ** 32))
        if r["kind"] == "counter":
            if c.startswith("reactive"):
                return 300.0 + self.unit * 10 + k * 0.1 + (0 if "import" in c else 40)
            return 1000.0 + self.unit * 100 + k * 0.5 + (0 if "import" in c else 250)
        if r["unit"] == "var":
            return 200.0 + (k % 5) * 10
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
        # A read with the other function code than the maker's map is refused, as meters do.
        if fc != self.fc:
            return ExcCodes.ILLEGAL_FUNCTION
        k = self.reads
        self.reads += 1
        served = {}
        absurd = []
        for r in self.regs:
            a = self.offset + r["address"]
            n = WORDS[r["type"]]
            if not (address <= a and a + n <= address + count):
                continue
            v = self.value(r, k)
            sf = SUNSPEC_SF.get(r["sf"], 0) if r["sf"] is not None else 0
            if r["channel"] == self.absurd and r["type"] == "float32":
                # A broken register: finite, far beyond any meter. Strata must store a gap.
                words, _ = encode(3.4e38, "float32", r["order"])
                registers[a - start:a - start + n] = words
                absurd.append(r["channel"])
                continue
            raw_value = v / r["scale"] / (10 ** sf)
            words, decoded = encode(raw_value, r["type"], r["order"])
            registers[a - start:a - start + n] = words
            served[r["channel"]] = decoded * r["scale"] * (10 ** sf)
        if served and log:
            log.write(json.dumps({"unit": self.unit, "read": k, "fc": fc, "address": address, "count": count,
                                  "values": served, "absurd": absurd}) + "\n")
            log.flush()
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5020)
    ap.add_argument("--serial", help="serve Modbus RTU on this serial device instead of TCP")
    ap.add_argument("--baud", type=int, default=9600)
    ap.add_argument("--parity", default="N")
    ap.add_argument("--device", action="append", required=True, help="UNIT:METER[:exception=ADDR][:absurd=CHANNEL] or UNIT:silent")
    ap.add_argument("--log", help="append one JSON line per served read")
    ap.add_argument("--gateway", action="store_true",
                    help="answer absent unit ids with exception 11 (gateway target did not respond), as TCP gateways do; "
                         "without it they stay silent, as on an RS485 bus")
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
        absurd = None
        for extra in parts[2:]:
            if extra.startswith("exception="):
                exc = int(extra.split("=", 1)[1], 0)
            elif extra.startswith("absurd="):
                absurd = extra.split("=", 1)[1]
        meter = Meter(unit, parts[1], exc, absurd)

        async def action(fc, start, address, count, registers, set_values, meter=meter):
            if set_values is not None:
                return ExcCodes.ILLEGAL_FUNCTION
            return meter.serve(fc, start, address, count, registers, log)

        devices.append(SimDevice(id=unit, simdata=[meter.simdata()], action=action))

    async def run():
        if args.serial:
            server = ModbusSerialServer(devices, port=args.serial, baudrate=args.baud, parity=args.parity,
                                        ignore_missing_devices=not args.gateway)
        else:
            server = ModbusTcpServer(devices, address=(args.host, args.port), ignore_missing_devices=not args.gateway)
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
