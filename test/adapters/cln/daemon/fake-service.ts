/**
 * A TEST DOUBLE of the hsmd service (the real one is src/adapters/cln/hsmd.ts): just enough
 * behaviour to exercise warden-hsmd's sockets, framing, fd passing and error handling.
 *   root:   11 → 114 "fake-init"; 99 → no reply; 9 → 109 + new client (id, dbid, permissions);
 *           1 → 100 echo
 *   client: 1 → 100 echo of the payload (needs ECDH permission 1);
 *           2 → waits until some client sends 3, then 102 (proves clients are served concurrently);
 *           3 → 103;
 *           7 → refuses: "malformed PSBT" (stands for the real handler's PSBT check)
 *   anything else → refused as unknown.
 */
import type {
  HsmdClientContext,
  HsmdConnection,
  HsmdReply,
  HsmdService,
} from "../../../../src/adapters/cln/daemon/service.js";

function type(m: Uint8Array): number {
  return m.length >= 2 ? (m[0]! << 8) | m[1]! : -1;
}

function withType(t: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(2 + payload.length);
  out[0] = t >> 8;
  out[1] = t & 0xff;
  out.set(payload, 2);
  return out;
}

class Latch {
  #open = false;
  #waiters: Array<() => void> = [];
  wait(): Promise<void> {
    return this.#open ? Promise.resolve() : new Promise((r) => this.#waiters.push(r));
  }
  release(): void {
    this.#open = true;
    for (const w of this.#waiters.splice(0)) w();
  }
}

class FakeConnection implements HsmdConnection {
  constructor(
    readonly context: HsmdClientContext,
    readonly service: FakeHsmdService,
  ) {}

  async handle(request: Uint8Array): Promise<HsmdReply> {
    const t = type(request);
    const root = this.context.peerId === null;
    if (root && t === 11) return { message: withType(114, Buffer.from("fake-init")) };
    if (root && t === 99) return { message: null };
    if (root && t === 9) {
      if (request.length !== 2 + 33 + 8 + 8) throw new Error("could not parse request");
      const view = new DataView(request.buffer, request.byteOffset, request.length);
      const ctx: HsmdClientContext = {
        peerId: request.slice(2, 35),
        dbid: view.getBigUint64(35, false),
        permissions: Number(view.getBigUint64(43, false)),
      };
      return { message: withType(109), newClient: new FakeConnection(ctx, this.service) };
    }
    if (t === 1) {
      if ((this.context.permissions & 1) === 0) {
        throw new Error("client does not have capability to run 1");
      }
      return { message: withType(100, request.subarray(2)) };
    }
    if (!root && t === 2) {
      await this.service.latch.wait();
      return { message: withType(102) };
    }
    if (!root && t === 3) {
      this.service.latch.release();
      return { message: withType(103) };
    }
    if (!root && t === 7) throw new Error("cln/psbt: malformed PSBT");
    throw new Error(`Unknown request ${t}`);
  }
}

/** The test double's service. */
export class FakeHsmdService implements HsmdService {
  readonly latch = new Latch();
  closed = false;
  readonly #root = new FakeConnection({ peerId: null, dbid: 0n, permissions: 1027 }, this);
  root(): HsmdConnection {
    return this.#root;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
