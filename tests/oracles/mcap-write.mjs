// mcap-write.mjs - the MCAP oracle: test logs written by @mcap/core's
// McapWriter (CRCs on), with ROS 2 CDR channels (payloads from
// @foxglove/rosmsg2-serialization, schemas the ros2msg texts of
// cdr-write.mjs) and optionally a JSON channel, for tests/import_bin.
//
//   node mcap-write.mjs OUT.mcap [--no-chunks] [--no-summary]
//        [--compression zstd|lz4] [--json] [--steps N] [--chunk-size B]
//
// Step i (0 <= i < N, default 20) is at 1700000000 s + i * 250 ms (log
// time, ns since the epoch) and writes, in this order:
//   /battery_state  sensor_msgs/msg/BatteryState  percentage = 60 - i/2
//   /cmd_vel        geometry_msgs/msg/Twist       linear.x = i/4 (every i)
//   /light          sensor_msgs/msg/Range         range = 100 + i (even i)
//   /touch          std_msgs/msg/Bool             data = (i/4) odd (i%4==0)
//   /lux (--json)   JSON {"lux": 100 + i, "room": {"name": "kitchen",
//                   "n": [i, i + 1]}, "ok": i % 2 == 0}       (every i)
// zstd chunks come from @foxglove/wasm-zstd; lz4 chunks (LZ4 frames) from
// the lz4 command (Debian package lz4). Prints the number of messages.
import { open } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { McapWriter } from "@mcap/core";
import zstd from "@foxglove/wasm-zstd";
import { MSG_TEXT, writeLE, battery } from "./cdr-write.mjs";

const args = process.argv.slice(2);
const out = args[0];
if (!out) {
  console.error("usage: node mcap-write.mjs OUT.mcap [options]");
  process.exit(2);
}
const has = (flag) => args.includes(flag);
const value = (flag, dflt) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : dflt;
};
const steps = Number(value("--steps", "20"));
const compression = value("--compression", "");

let compressChunk;
if (compression === "zstd") {
  await zstd.isLoaded;
  compressChunk = (data) => ({ compression: "zstd", compressedData: zstd.compress(data, 3) });
} else if (compression === "lz4") {
  compressChunk = (data) => ({
    compression: "lz4",
    compressedData: new Uint8Array(execFileSync("lz4", ["-c", "-q"], { input: data })),
  });
}

const fh = await open(out, "w");
let pos = 0n;
const writable = {
  async write(buf) { await fh.write(buf); pos += BigInt(buf.byteLength); },
  position() { return pos; },
};
const noSummary = has("--no-summary");
const writer = new McapWriter({
  writable,
  useChunks: !has("--no-chunks"),
  chunkSize: Number(value("--chunk-size", String(1024 * 1024))),
  compressChunk,
  // Without a summary: no repeated schemas/channels, no indexes, no
  // statistics (the footer's summary start is then 0).
  useStatistics: !noSummary, useSummaryOffsets: !noSummary,
  repeatSchemas: !noSummary, repeatChannels: !noSummary,
  useChunkIndex: !noSummary, useMessageIndex: !noSummary,
  useAttachmentIndex: !noSummary, useMetadataIndex: !noSummary,
});
await writer.start({ profile: "ros2", library: "purr test oracle" });

const enc = new TextEncoder();
const channels = {};
for (const [topic, type] of [
  ["/battery_state", "sensor_msgs/msg/BatteryState"],
  ["/cmd_vel", "geometry_msgs/msg/Twist"],
  ["/light", "sensor_msgs/msg/Range"],
  ["/touch", "std_msgs/msg/Bool"]]) {
  const schemaId = await writer.registerSchema({
    name: type, encoding: "ros2msg", data: enc.encode(MSG_TEXT[type]) });
  channels[topic] = await writer.registerChannel({
    topic, schemaId, messageEncoding: "cdr", metadata: new Map() });
}
if (has("--json")) {
  const schemaId = await writer.registerSchema({
    name: "Lux", encoding: "jsonschema",
    data: enc.encode(JSON.stringify({ type: "object" })) });
  channels["/lux"] = await writer.registerChannel({
    topic: "/lux", schemaId, messageEncoding: "json", metadata: new Map() });
}

let count = 0;
const seq = {};
async function add(topic, data, t) {
  seq[topic] = (seq[topic] ?? 0) + 1;
  await writer.addMessage({ channelId: channels[topic], sequence: seq[topic],
    logTime: t, publishTime: t, data });
  count++;
}
const T0 = 1700000000n * 1000000000n;
for (let i = 0; i < steps; i++) {
  const t = T0 + BigInt(i) * 250000000n;
  await add("/battery_state",
    writeLE("sensor_msgs/msg/BatteryState", battery(60 - i / 2)), t);
  await add("/cmd_vel", writeLE("geometry_msgs/msg/Twist",
    { linear: { x: i / 4, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } }), t);
  if (i % 2 === 0)
    await add("/light", writeLE("sensor_msgs/msg/Range", {
      header: { stamp: { sec: 1700000000, nanosec: 0 }, frame_id: "lux" },
      radiation_type: 1, field_of_view: 1, min_range: 0, max_range: 1000,
      range: 100 + i }), t);
  if (i % 4 === 0)
    await add("/touch", writeLE("std_msgs/msg/Bool",
      { data: Math.floor(i / 4) % 2 === 1 }), t);
  if (has("--json"))
    await add("/lux", enc.encode(JSON.stringify({
      lux: 100 + i, room: { name: "kitchen", n: [i, i + 1] }, ok: i % 2 === 0 })), t);
}
await writer.end();
await fh.close();
console.log(count);
