/**
 * PgStore against a real throwaway PostgreSQL cluster started here. If no server can be
 * started, every test of this file fails with the reason (never skipped).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { PgStore } from "../../src/store/pg-store.js";
import { StoreConflictError } from "../../src/store/store.js";
import { storeConformance } from "./conformance.js";
import { type PgCluster, startPgCluster } from "./pg-cluster.js";

let cluster: PgCluster | undefined;
let startError: Error | undefined;
before(async () => {
  try {
    cluster = await startPgCluster();
  } catch (e) {
    startError = e as Error;
  }
});
after(async () => {
  await cluster?.stop();
});

/** The cluster's URL, or the reason it could not be started (failing the calling test). */
function url(): string {
  if (cluster === undefined) {
    throw new Error(`PostgreSQL tests cannot run: ${startError?.message ?? "cluster not started"}`);
  }
  return cluster.connectionString;
}

let n = 0;
const freshSchema = (): string => `t${process.pid}_${n++}`;
const b = (...xs: number[]) => Uint8Array.from(xs);

storeConformance("postgres", () => PgStore.open(url(), { schema: freshSchema() }), {
  modelRuns: 15,
});

test("postgres: two clients racing on one key — exactly one wins, nothing partial", async () => {
  const schema = freshSchema();
  const clients = await Promise.all(
    Array.from({ length: 4 }, () => PgStore.open(url(), { schema })),
  );
  try {
    const [v] = await clients[0]!.commit([{ key: "k", value: b(0), expectedVersion: 0 }]);
    for (let round = 0; round < 10; round++) {
      const current = (await clients[0]!.get("k"))!.version;
      const results = await Promise.allSettled(
        clients.map((c, i) =>
          c.commit([
            { key: `side/${round}/${i}`, value: b(i), expectedVersion: 0 },
            { key: "k", value: b(round, i), expectedVersion: current },
          ]),
        ),
      );
      const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      assert.equal(won.length, 1, `round ${round}: exactly one writer wins`);
      for (const r of results) {
        if (r.status === "rejected") assert.ok(r.reason instanceof StoreConflictError);
      }
      assert.deepEqual(await clients[1]!.list(`side/${round}/`), [`side/${round}/${won[0]}`]);
      const now = (await clients[2]!.get("k"))!;
      assert.deepEqual(now.value, b(round, won[0]!));
      assert.ok(now.version > current && current >= v!);
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
});

test("postgres: two processes racing on one key — wins and conflicts add up, nothing partial", async () => {
  const schema = freshSchema();
  const setup = await PgStore.open(url(), { schema });
  await setup.commit([{ key: "k", value: b(0), expectedVersion: 0 }]);
  const moduleUrl = new URL("../../src/store/pg-store.js", import.meta.url).href;
  const script = `
    const { PgStore } = await import(${JSON.stringify(moduleUrl)});
    const [url, schema, me] = process.argv.slice(1);
    const s = await PgStore.open(url, { schema });
    let won = 0, lost = 0, last = 0;
    for (let i = 0; i < 100; i++) {
      const cur = (await s.get("k")).version;
      try {
        const [v] = await s.commit([
          { key: "k", value: Buffer.from(me + i), expectedVersion: cur },
          { key: "log/" + me + "/" + i, value: Buffer.from([1]), expectedVersion: 0 },
        ]);
        if (v <= cur || v <= last) throw new Error("version did not grow");
        last = v;
        won++;
      } catch (e) {
        if (e.code !== "store/conflict") throw e;
        lost++;
      }
    }
    await s.close();
    console.log(JSON.stringify({ won, lost }));
  `;
  const run = (me: string) =>
    new Promise<{ won: number; lost: number }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ["--input-type=module", "-e", script, url(), schema, me],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.on("exit", (code) =>
        code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child ${me} exited ${code}`)),
      );
    });
  try {
    const [x, y] = await Promise.all([run("x"), run("y")]);
    assert.equal(x.won + x.lost, 100);
    assert.equal(y.won + y.lost, 100);
    assert.equal((await setup.list("log/x/")).length, x.won);
    assert.equal((await setup.list("log/y/")).length, y.won);
  } finally {
    await setup.close();
  }
});

test("postgres: versions are store-wide, survive reconnect, never reused", async () => {
  const schema = freshSchema();
  const s1 = await PgStore.open(url(), { schema });
  const [va] = await s1.commit([{ key: "a", value: b(1), expectedVersion: 0 }]);
  await s1.commit([{ key: "a", value: null, expectedVersion: va! }]);
  await s1.close();
  const s2 = await PgStore.open(url(), { schema });
  try {
    const [again] = await s2.commit([{ key: "a", value: b(2), expectedVersion: 0 }]);
    assert.ok(again! > va!);
  } finally {
    await s2.close();
  }
});

test("postgres: an unreachable server is a StoreError store/unavailable", async () => {
  // A port nothing listens on: the cluster's own port + 1 is not ours; use a closed one.
  const { createServer } = await import("node:net");
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  await assert.rejects(PgStore.open(`postgresql://warden@127.0.0.1:${port}/postgres`), {
    code: "store/unavailable",
  });
});
