// cdr-write.mjs - the CDR oracle: serialized ROS 2 messages of every type
// purr's importer decodes, written by independent code (@foxglove's
// rosmsg2-serialization MessageWriter for little endian, @foxglove/cdr's
// CdrWriter field by field for big endian), for tests/import_bin.
//
//   node cdr-write.mjs OUTDIR
//
// writes OUTDIR/<case>.cdr for every case below and prints one line per
// case: "<case> <ros type>". The values are the ones the C tests expect
// (tests/import_bin/test_cdr.c); the .msg texts are what MCAP files carry
// as ros2msg schemas (mcap-write.mjs imports this module).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CdrWriter, EncapsulationKind } from "@foxglove/cdr";
import { MessageWriter } from "@foxglove/rosmsg2-serialization";

// The .msg text of each type, as MCAP ros2msg schemas hold it: the type,
// then each dependency after a line of '=' and "MSG: pkg/Type".
const SEP = "=".repeat(80) + "\n";
const TIME = "int32 sec\nuint32 nanosec\n";
const HEADER = "builtin_interfaces/Time stamp\nstring frame_id\n";
const VECTOR3 = "float64 x\nfloat64 y\nfloat64 z\n";
export const MSG_TEXT = {
  "sensor_msgs/msg/BatteryState":
    "# Constants are not fields\n" +
    "uint8 POWER_SUPPLY_STATUS_CHARGING = 1\n" +
    "std_msgs/Header  header\n" +
    "float32 voltage\nfloat32 temperature\nfloat32 current\n" +
    "float32 charge\nfloat32 capacity\nfloat32 design_capacity\n" +
    "float32 percentage          # 0 to 1\n" +
    "uint8   power_supply_status\nuint8   power_supply_health\n" +
    "uint8   power_supply_technology\nbool    present\n" +
    "float32[] cell_voltage\nfloat32[] cell_temperature\n" +
    "string location\nstring serial_number\n" +
    SEP + "MSG: std_msgs/Header\n" + HEADER +
    SEP + "MSG: builtin_interfaces/Time\n" + TIME,
  "sensor_msgs/msg/Range":
    "std_msgs/Header header\nuint8 ULTRASOUND=0\nuint8 radiation_type\n" +
    "float32 field_of_view\nfloat32 min_range\nfloat32 max_range\n" +
    "float32 range\n" +
    SEP + "MSG: std_msgs/Header\n" + HEADER +
    SEP + "MSG: builtin_interfaces/Time\n" + TIME,
  "geometry_msgs/msg/Twist":
    "Vector3  linear\nVector3  angular\n" +
    SEP + "MSG: geometry_msgs/Vector3\n" + VECTOR3,
};
// A type purr has no built-in definition of: only a definition in the log
// (MCAP schema, rosbag2 message_definitions) makes it readable.
MSG_TEXT["purr_test/msg/Custom"] =
  "int32[3] ids   # a fixed array\nstring name\nfloat64 x\n";
for (const t of ["Bool", "Int8", "UInt8", "Int16", "UInt16", "Int32",
                 "UInt32", "Int64", "UInt64", "Float32", "Float64",
                 "String"])
  MSG_TEXT[`std_msgs/msg/${t}`] =
    `${t === "String" ? "string" : t.toLowerCase()} data\n`;

// The same definitions as parsed objects, for MessageWriter (written by
// hand here: the oracle shares no parser with purr).
const f = (type, name, more = {}) => ({ type, name, ...more });
const cx = (type, name, more = {}) => f(type, name, { isComplex: true, ...more });
const DEFS_COMMON = [
  { name: "std_msgs/msg/Header",
    definitions: [cx("builtin_interfaces/msg/Time", "stamp"), f("string", "frame_id")] },
  { name: "builtin_interfaces/msg/Time",
    definitions: [f("int32", "sec"), f("uint32", "nanosec")] },
  { name: "geometry_msgs/msg/Vector3",
    definitions: [f("float64", "x"), f("float64", "y"), f("float64", "z")] },
];
export const DEFS = {
  "sensor_msgs/msg/BatteryState": [
    { name: "sensor_msgs/msg/BatteryState", definitions: [
      cx("std_msgs/msg/Header", "header"),
      ...["voltage", "temperature", "current", "charge", "capacity",
          "design_capacity", "percentage"].map((n) => f("float32", n)),
      f("uint8", "power_supply_status"), f("uint8", "power_supply_health"),
      f("uint8", "power_supply_technology"), f("bool", "present"),
      f("float32", "cell_voltage", { isArray: true }),
      f("float32", "cell_temperature", { isArray: true }),
      f("string", "location"), f("string", "serial_number")] },
    ...DEFS_COMMON],
  "sensor_msgs/msg/Range": [
    { name: "sensor_msgs/msg/Range", definitions: [
      cx("std_msgs/msg/Header", "header"), f("uint8", "radiation_type"),
      ...["field_of_view", "min_range", "max_range", "range"].map((n) => f("float32", n))] },
    ...DEFS_COMMON],
  "geometry_msgs/msg/Twist": [
    { name: "geometry_msgs/msg/Twist", definitions: [
      cx("geometry_msgs/msg/Vector3", "linear"), cx("geometry_msgs/msg/Vector3", "angular")] },
    ...DEFS_COMMON],
};
DEFS["purr_test/msg/Custom"] = [{ name: "purr_test/msg/Custom", definitions: [
  f("int32", "ids", { isArray: true, arrayLength: 3 }), f("string", "name"),
  f("float64", "x")] }];
for (const [t, prim] of Object.entries({ Bool: "bool", Int8: "int8",
    UInt8: "uint8", Int16: "int16", UInt16: "uint16", Int32: "int32",
    UInt32: "uint32", Int64: "int64", UInt64: "uint64", Float32: "float32",
    Float64: "float64", String: "string" }))
  DEFS[`std_msgs/msg/${t}`] = [{ name: `std_msgs/msg/${t}`, definitions: [f(prim, "data")] }];

export function battery(percentage, extra = {}) {
  return {
    header: { stamp: { sec: 1700000000, nanosec: 5 }, frame_id: "base_link" },
    voltage: 12.5, temperature: 31, current: -1.5, charge: 2, capacity: 4,
    design_capacity: 5, percentage, power_supply_status: 2,
    power_supply_health: 1, power_supply_technology: 3, present: true,
    cell_voltage: [3.7, 3.75, 3.8], cell_temperature: [],
    location: "slot 1", serial_number: "SN-42", ...extra,
  };
}

// Little-endian cases: [case, type, message].
export const CASES = [
  ["bool", "std_msgs/msg/Bool", { data: true }],
  ["int8", "std_msgs/msg/Int8", { data: -5 }],
  ["uint8", "std_msgs/msg/UInt8", { data: 250 }],
  ["int16", "std_msgs/msg/Int16", { data: -30000 }],
  ["uint16", "std_msgs/msg/UInt16", { data: 65000 }],
  ["int32", "std_msgs/msg/Int32", { data: -2000000000 }],
  ["uint32", "std_msgs/msg/UInt32", { data: 4000000000 }],
  ["int64", "std_msgs/msg/Int64", { data: -9000000000000000000n }],
  ["uint64", "std_msgs/msg/UInt64", { data: 12345678901234n }],
  ["uint64_big", "std_msgs/msg/UInt64", { data: 18000000000000000000n }],
  ["float32", "std_msgs/msg/Float32", { data: 0.1 }],
  ["float64", "std_msgs/msg/Float64", { data: -2.5e-300 }],
  ["string", "std_msgs/msg/String", { data: "purr, purr" }],
  ["battery", "sensor_msgs/msg/BatteryState", battery(0.87)],
  ["range", "sensor_msgs/msg/Range", {
    header: { stamp: { sec: 3, nanosec: 4 }, frame_id: "sonar_front" },
    radiation_type: 1, field_of_view: 0.5, min_range: 0.02, max_range: 4,
    range: 1.25 }],
  ["twist", "geometry_msgs/msg/Twist", {
    linear: { x: 0.5, y: 0, z: 0 }, angular: { x: 0, y: 0, z: -1.25 } }],
  ["custom", "purr_test/msg/Custom", { ids: [7, 8, 9], name: "c", x: 6.5 }],
];

export function writeLE(type, msg) {
  return new MessageWriter(DEFS[type]).writeMessage(msg);
}

// Big-endian cases, written field by field with CdrWriter.
function twistBE() {
  const w = new CdrWriter({ kind: EncapsulationKind.CDR_BE });
  for (const v of [0.5, 0, 0, 0, 0, -1.25]) w.float64(v);
  return w.data;
}
function batteryBE() {
  const w = new CdrWriter({ kind: EncapsulationKind.CDR_BE });
  w.int32(1700000000).uint32(5).string("base_link");
  for (const v of [12.5, 31, -1.5, 2, 4, 5, 0.25]) w.float32(v);
  w.uint8(2).uint8(1).uint8(3).uint8(1);
  w.float32Array([3.7, 3.75, 3.8], true).float32Array([], true);
  w.string("slot 1").string("SN-42");
  return w.data;
}
function int64BE() {
  return new CdrWriter({ kind: EncapsulationKind.CDR_BE }).int64(-42n).data;
}

function main() {
  const out = process.argv[2];
  if (!out) {
    console.error("usage: node cdr-write.mjs OUTDIR");
    process.exit(2);
  }
  for (const [name, type, msg] of CASES) {
    writeFileSync(join(out, `${name}.cdr`), writeLE(type, msg));
    console.log(`${name} ${type}`);
  }
  for (const [name, type, fn] of [
    ["twist_be", "geometry_msgs/msg/Twist", twistBE],
    ["battery_be", "sensor_msgs/msg/BatteryState", batteryBE],
    ["int64_be", "std_msgs/msg/Int64", int64BE]]) {
    writeFileSync(join(out, `${name}.cdr`), fn());
    console.log(`${name} ${type}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) main();
