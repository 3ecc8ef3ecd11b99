// ws-client.mjs - an independent Foxglove WebSocket client for purr's
// tests: runs `purr ... --serve 0`, connects clients to the port it
// prints, and prints everything they receive as JSON lines.
//
// usage: node ws-client.mjs CLIENTS PURR ARGS...
//   CLIENTS  comma-separated roles, one client each:
//            all    connects at once, subscribes to every channel as it
//                   is advertised, reads everything;
//            pause  connects at once, subscribes to every channel, and
//                   stops reading (its socket is paused) once the first
//                   message has come, that is once the run is under way
//                   (channels advertised before it are all subscribed):
//                   a viewer that cannot keep up;
//            late   connects once client 0 has received a message (mid-
//                   run), then as `all`.
//   PURR ARGS  the purr command; it must print "serving on ws://..." on
//            stderr (purr run/view --serve 0).
// Output, one JSON object a line ("client" is the client's index):
//   {"client":0,"op":"serverInfo","name":...,"capabilities":[...]}
//   {"client":0,"op":"advertise","id":1,"topic":...,"encoding":...,
//    "schemaName":...,"schemaEncoding":...,"schema":...}
//   {"client":0,"op":"message","topic":...,"time":"NS","value":...}
//   {"client":0,"op":"status","level":1,"message":...}
//   {"client":0,"op":"close","code":1000,"times":N,"lastTime":"NS"}
//   {"op":"purr","exit":0,"stderr":"..."}           (last)
// The decoding is @foxglove/ws-protocol's (FoxgloveClient) over the `ws`
// package; nothing of purr's is used. Exit status 0, or 1 on a protocol
// error (printed on stderr).
import { spawn } from "node:child_process";

import wsProtocol from "@foxglove/ws-protocol"; // CommonJS: no named exports
import WebSocket from "ws";

const { FoxgloveClient } = wsProtocol;

const [roleList, purr, ...purrArgs] = process.argv.slice(2);
if (!roleList || !purr) {
  console.error("usage: node ws-client.mjs CLIENTS PURR ARGS...");
  process.exit(2);
}
const roles = roleList.split(",");
const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const decoder = new TextDecoder();

let url = null;
let purrDone = false;
let purrExit = null;
let purrStderr = "";
const open = new Set(); // clients whose connection is open
let failed = false;

function finishIfDone() {
  if (!purrDone) return;
  // The paused clients never see the end: they are closed here.
  for (const c of open) if (c.role === "pause") c.ws.terminate();
  if ([...open].some((c) => c.role !== "pause")) return;
  out({ op: "purr", exit: purrExit, stderr: purrStderr });
  process.exit(failed ? 1 : 0);
}

function connect(index, role) {
  const ws = new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
  const client = new FoxgloveClient({ ws });
  const me = { role, ws, times: 0, lastTime: null, messages: 0 };
  const topics = new Map(); // subscription id -> topic
  open.add(me);
  client.on("serverInfo", (info) =>
    out({ client: index, op: "serverInfo", name: info.name,
          capabilities: info.capabilities }));
  client.on("advertise", (channels) => {
    for (const ch of channels) {
      out({ client: index, op: "advertise", id: ch.id, topic: ch.topic,
            encoding: ch.encoding, schemaName: ch.schemaName,
            schemaEncoding: ch.schemaEncoding, schema: ch.schema });
      topics.set(client.subscribe(ch.id), ch.topic);
    }
  });
  client.on("message", ({ subscriptionId, timestamp, data }) => {
    const payload = JSON.parse(decoder.decode(data));
    out({ client: index, op: "message", topic: topics.get(subscriptionId),
          time: timestamp.toString(), value: payload.value });
    if (me.messages++ === 0) {
      if (role === "pause") ws.pause();
      if (index === 0)
        roles.forEach((r, i) => { if (r === "late") connect(i, r); });
    }
  });
  client.on("time", ({ timestamp }) => {
    me.times++;
    me.lastTime = timestamp.toString();
  });
  client.on("status", (s) =>
    out({ client: index, op: "status", level: s.level, message: s.message }));
  client.on("error", (e) => {
    console.error(`ws-client: client ${index}: ${e.message ?? e}`);
    failed = true;
  });
  client.on("close", (ev) => {
    out({ client: index, op: "close", code: ev.code, times: me.times,
          lastTime: me.lastTime });
    open.delete(me);
    finishIfDone();
  });
}

const child = spawn(purr, purrArgs, { stdio: ["ignore", "ignore", "pipe"] });
child.stderr.setEncoding("utf8");
child.stderr.on("data", (chunk) => {
  purrStderr += chunk;
  const m = purrStderr.match(/serving on (ws:\/\/\S+)/);
  if (m && !url) {
    url = m[1];
    roles.forEach((r, i) => { if (r !== "late") connect(i, r); });
  }
});
// "close": purr has exited and its stderr has ended.
child.on("close", (code) => {
  purrExit = code;
  purrDone = true;
  finishIfDone();
});
