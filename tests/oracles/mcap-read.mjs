// mcap-read.mjs - reads an MCAP file with an independent implementation,
// @mcap/core (Foxglove's TypeScript reader), for purr's export tests.
//
// Usage: node mcap-read.mjs FILE.mcap
//
// Reads FILE twice, with CRC validation on:
// - McapStreamReader, front to back (every chunk's CRC checked);
// - McapIndexedReader, through the summary (the footer's summary CRC, the
//   chunk indexes, the message indexes, every chunk's CRC);
// and checks the data section CRC of the DataEnd record against the bytes
// (CRC-32 from @foxglove/crc, which @mcap/core uses). Both readers must
// yield the same messages (channel, sequence, times, bytes), the indexed
// one in non-decreasing log time, and the statistics must match what the
// stream holds. Then prints JSON lines on stdout:
//   {"kind":"header","profile":...,"library":...}
//   {"kind":"schema","id":1,"name":...,"encoding":...,"data":{...}}
//   {"kind":"channel","id":1,"topic":...,"schema":1,"encoding":...,"metadata":{...}}
//   {"kind":"metadata","name":...,"metadata":{...}}
//   {"kind":"message","topic":...,"channel":1,"sequence":0,"logTime":"ns",
//    "publishTime":"ns","raw":"{\"value\": ...}"}
//      (in file order; raw is the payload's text, which JSON.parse read as
//      a JSON object)
//   {"kind":"statistics","messageCount":"n","messageStartTime":"ns",
//    "messageEndTime":"ns","chunkCount":n,"schemaCount":n,"channelCount":n,
//    "metadataCount":n,"channelMessageCounts":{"topic":"n",...}}
// Times and 64-bit counts are decimal strings (exact). Exit status 0, or 1
// with a message on stderr when the file is refused (a CRC error, a
// malformed record, readers that disagree).
import { readFile } from "node:fs/promises";
import { McapIndexedReader, McapStreamReader } from "@mcap/core";
import { loadDecompressHandlers } from "@mcap/support";
import { crc32 } from "@foxglove/crc";

function fail(msg) {
  process.stderr.write(`mcap-read: ${msg}\n`);
  process.exit(1);
}

const path = process.argv[2];
if (!path) fail("usage: node mcap-read.mjs FILE.mcap");

const out = [];
const emit = (o) =>
  out.push(JSON.stringify(o, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));

async function main() {
  const bytes = new Uint8Array(await readFile(path));
  const decompressHandlers = await loadDecompressHandlers();
  const decoder = new TextDecoder("utf-8", { fatal: true });

  // 1. Front to back.
  const stream = new McapStreamReader({ decompressHandlers, validateCrcs: true });
  stream.append(bytes);
  const streamed = [];
  const channels = new Map();
  const schemas = new Map();
  let header, dataEnd;
  let metadata = [];
  for (let r; (r = stream.nextRecord()); ) {
    if (r.type === "Header") header = r;
    else if (r.type === "Schema") schemas.set(r.id, r);
    else if (r.type === "Channel") channels.set(r.id, r);
    else if (r.type === "Metadata") metadata.push(r);
    else if (r.type === "Message") streamed.push(r);
    else if (r.type === "DataEnd") dataEnd = r;
  }
  if (!stream.done()) fail("the stream reader did not reach the end of the file");
  if (!dataEnd) fail("no DataEnd record");

  // 2. Through the summary.
  const readable = {
    size: async () => BigInt(bytes.length),
    read: async (offset, size) => bytes.subarray(Number(offset), Number(offset + size)),
  };
  const indexed = await McapIndexedReader.Initialize({ readable, decompressHandlers });
  const viaIndex = [];
  for await (const m of indexed.readMessages({ validateCrcs: true })) viaIndex.push(m);

  // The data section CRC: every byte before the DataEnd record.
  const dataEndAt = Number(indexed.dataEndOffset);
  if (dataEnd.dataSectionCrc !== 0) {
    const crc = crc32(bytes.subarray(0, dataEndAt));
    if (crc !== dataEnd.dataSectionCrc)
      fail(`Incorrect data section CRC ${crc} (expected ${dataEnd.dataSectionCrc})`);
  }

  // The two readers agree.
  if (viaIndex.length !== streamed.length)
    fail(`indexed reader: ${viaIndex.length} messages, stream reader: ${streamed.length}`);
  for (let i = 1; i < viaIndex.length; i++)
    if (viaIndex[i].logTime < viaIndex[i - 1].logTime)
      fail(`indexed reader: log times go backwards at message ${i}`);
  const key = (m) => `${m.channelId}:${m.sequence}`;
  const byKey = new Map(streamed.map((m) => [key(m), m]));
  for (const m of viaIndex) {
    const s = byKey.get(key(m));
    if (!s) fail(`indexed reader: message ${key(m)} not in the stream`);
    if (s.logTime !== m.logTime || s.publishTime !== m.publishTime ||
        Buffer.compare(Buffer.from(s.data), Buffer.from(m.data)) !== 0)
      fail(`readers disagree on message ${key(m)}`);
  }

  // Statistics against the stream.
  const st = indexed.statistics;
  if (!st) fail("no statistics in the summary");
  if (st.messageCount !== BigInt(streamed.length))
    fail(`statistics: messageCount ${st.messageCount}, the file holds ${streamed.length}`);
  if (st.chunkCount !== indexed.chunkIndexes.length)
    fail(`statistics: chunkCount ${st.chunkCount}, ${indexed.chunkIndexes.length} chunk indexes`);
  const perChannel = new Map();
  for (const m of streamed) perChannel.set(m.channelId, (perChannel.get(m.channelId) ?? 0n) + 1n);
  for (const [id, n] of st.channelMessageCounts)
    if ((perChannel.get(id) ?? 0n) !== n)
      fail(`statistics: channel ${id} counts ${n}, the file holds ${perChannel.get(id) ?? 0n}`);
  if (streamed.length > 0) {
    let lo = streamed[0].logTime, hi = lo;
    for (const m of streamed) {
      if (m.logTime < lo) lo = m.logTime;
      if (m.logTime > hi) hi = m.logTime;
    }
    if (st.messageStartTime !== lo || st.messageEndTime !== hi)
      fail(`statistics: times ${st.messageStartTime}..${st.messageEndTime}, messages ${lo}..${hi}`);
  }
  for (const [id, c] of indexed.channelsById)
    if (!channels.has(id) || channels.get(id).topic !== c.topic)
      fail(`summary channel ${id} (${c.topic}) differs from the data section's`);
  const summaryMeta = [];
  for await (const m of indexed.readMetadata()) summaryMeta.push(m);
  if (summaryMeta.length !== metadata.length || indexed.metadataIndexes.length !== metadata.length)
    fail("metadata indexes do not match the metadata records");

  emit({ kind: "header", profile: header.profile, library: header.library });
  for (const s of schemas.values())
    emit({ kind: "schema", id: s.id, name: s.name, encoding: s.encoding,
           data: JSON.parse(decoder.decode(s.data)) });
  for (const c of channels.values())
    emit({ kind: "channel", id: c.id, topic: c.topic, schema: c.schemaId,
           encoding: c.messageEncoding, metadata: Object.fromEntries(c.metadata) });
  for (const m of metadata)
    emit({ kind: "metadata", name: m.name, metadata: Object.fromEntries(m.metadata) });
  for (const m of streamed) {
    // The payload must be UTF-8 and JSON (an object); it is printed as its
    // text, since a JavaScript number cannot hold every int64.
    const raw = decoder.decode(m.data);
    const data = JSON.parse(raw);
    if (typeof data !== "object" || data === null || Array.isArray(data))
      fail(`message ${m.channelId}:${m.sequence}: the payload is no JSON object`);
    emit({ kind: "message", topic: channels.get(m.channelId).topic, channel: m.channelId,
           sequence: m.sequence, logTime: m.logTime, publishTime: m.publishTime, raw });
  }
  const counts = {};
  for (const [id, n] of st.channelMessageCounts) counts[channels.get(id).topic] = n;
  emit({ kind: "statistics", messageCount: st.messageCount,
         messageStartTime: st.messageStartTime, messageEndTime: st.messageEndTime,
         chunkCount: st.chunkCount, schemaCount: st.schemaCount,
         channelCount: st.channelCount, metadataCount: st.metadataCount,
         channelMessageCounts: counts });
  process.stdout.write(out.join("\n") + "\n");
}

main().catch((e) => fail(e && e.message ? e.message : String(e)));
