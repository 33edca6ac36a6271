/**
 * A toy Bitcoin chain for in-process LDK nodes (tests, demo, bench): blocks we build ourselves
 * (LDK checks header chaining, not proof of work), a UTXO set, and a mempool that confirms a
 * transaction only when every input exists and is unspent, its absolute and relative
 * (BIP 68) locktimes are met and an optional verifier accepts its signatures. Nothing here
 * touches the network.
 */
import {
  type OutPoint,
  parseTx,
  serializeTx,
  type Tx,
  type TxOut,
  txid,
} from "../../../bitcoin/tx.js";
import { sha256d } from "../../../crypto/hash.js";
import { bytesToHex, concatBytes } from "../../../util/bytes.js";

/** One block: header, height and transactions (raw). */
export interface FakeBlock {
  hash: Uint8Array;
  height: number;
  header: Uint8Array;
  bytes: Uint8Array;
  txs: Tx[];
}

/** Checks the signatures of `tx` given the outputs its inputs spend; throws to reject. */
export type TxVerifier = (tx: Tx, spent: readonly TxOut[]) => void;

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};

function varint(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  const b = new Uint8Array(3);
  b[0] = 0xfd;
  new DataView(b.buffer).setUint16(1, n, true);
  return b;
}

const key = (o: OutPoint): string => `${bytesToHex(o.txid)}:${o.vout}`;

function merkleRoot(ids: Uint8Array[]): Uint8Array {
  let level = ids;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(sha256d(concatBytes(level[i]!, level[i + 1] ?? level[i]!)));
    }
    level = next;
  }
  return level[0]!;
}

/** The chain, its UTXO set and mempool. */
export class FakeChain {
  readonly blocks: FakeBlock[] = [];
  /** Unspent outputs and the height they confirmed at. */
  readonly #utxos = new Map<string, { out: TxOut; height: number }>();
  /** Every confirmed tx by txid hex (internal order), with its height. */
  readonly #txs = new Map<string, { tx: Tx; height: number }>();
  readonly #mempool = new Map<string, Tx>();
  /** Header time: starts two hours in the past, one second per block (LDK dates invoices by it). */
  #time = Math.floor(Date.now() / 1000) - 7200;
  verifier: TxVerifier | undefined;
  /** Transactions refused by the mempool (why), for inspection. */
  readonly rejected: { txid: string; reason: string }[] = [];

  constructor(verifier?: TxVerifier) {
    this.verifier = verifier;
    this.#append([]);
  }

  get tip(): FakeBlock {
    return this.blocks[this.blocks.length - 1]!;
  }

  get height(): number {
    return this.tip.height;
  }

  #coinbase(height: number, outputs: TxOut[]): Tx {
    return {
      version: 1,
      locktime: 0,
      inputs: [
        {
          prevout: { txid: new Uint8Array(32), vout: 0xffffffff },
          scriptSig: concatBytes(Uint8Array.of(4), u32(height), Uint8Array.of(0x51)),
          sequence: 0xffffffff,
          witness: [],
        },
      ],
      outputs: outputs.length > 0 ? outputs : [{ value: 0n, script: Uint8Array.of(0x51) }],
    };
  }

  #append(txs: Tx[], coinbaseOutputs: TxOut[] = []): FakeBlock {
    const height = this.blocks.length;
    const all = [this.#coinbase(height, coinbaseOutputs), ...txs];
    const prev = height === 0 ? new Uint8Array(32) : this.tip.hash;
    this.#time += 1;
    const header = concatBytes(
      u32(0x20000000),
      prev,
      merkleRoot(all.map((t) => txid(t))),
      u32(this.#time),
      u32(0x207fffff),
      u32(0),
    );
    const raw = all.map((t) => serializeTx(t));
    const block: FakeBlock = {
      hash: sha256d(header),
      height,
      header,
      bytes: concatBytes(header, varint(all.length), ...raw),
      txs: all,
    };
    for (const t of all) {
      const id = txid(t);
      const idHex = bytesToHex(id);
      this.#txs.set(idHex, { tx: t, height });
      for (const i of t.inputs) this.#utxos.delete(key(i.prevout));
      t.outputs.forEach((out, vout) => this.#utxos.set(key({ txid: id, vout }), { out, height }));
    }
    this.blocks.push(block);
    return block;
  }

  /** Mines a block whose coinbase pays `outputs` (a faucet for wallets); returns its coinbase. */
  fund(outputs: TxOut[]): Tx {
    return this.#append([], outputs).txs[0]!;
  }

  /** Adds a transaction to the mempool (LDK rebroadcasts: duplicates are ignored). */
  broadcast(raw: Uint8Array | Tx): void {
    const tx = raw instanceof Uint8Array ? parseTx(raw) : raw;
    const id = bytesToHex(txid(tx));
    if (this.#txs.has(id) || this.#mempool.has(id)) return;
    this.#mempool.set(id, tx);
  }

  /** Transactions waiting in the mempool. */
  get mempoolSize(): number {
    return this.#mempool.size;
  }

  /** Why `tx` cannot confirm at `height`, or undefined when it can. */
  #refusal(tx: Tx, height: number, spentNow: Set<string>): string | undefined {
    if (tx.locktime > 0 && tx.locktime < 500_000_000 && tx.locktime >= height) {
      return `locktime ${tx.locktime}`;
    }
    const spent: TxOut[] = [];
    for (const i of tx.inputs) {
      const k = key(i.prevout);
      const u = this.#utxos.get(k);
      if (u === undefined || spentNow.has(k)) return `input ${k} missing or spent`;
      if (tx.version >= 2 && (i.sequence & 0x80000000) === 0 && (i.sequence & 0x00400000) === 0) {
        const csv = i.sequence & 0xffff;
        if (height - u.height < csv) return `csv ${csv}`;
      }
      spent.push(u.out);
    }
    try {
      this.verifier?.(tx, spent);
    } catch (e) {
      return `signature: ${e instanceof Error ? e.message : String(e)}`;
    }
    return undefined;
  }

  /** Mines a block with every mempool tx that can confirm now; the rest wait (or are dropped). */
  mine(): FakeBlock {
    const height = this.blocks.length;
    const take: Tx[] = [];
    const spentNow = new Set<string>();
    let progress = true;
    while (progress) {
      progress = false;
      for (const [id, tx] of this.#mempool) {
        const why = this.#refusal(tx, height, spentNow);
        if (why === undefined) {
          take.push(tx);
          this.#mempool.delete(id);
          for (const i of tx.inputs) spentNow.add(key(i.prevout));
          progress = true;
          break;
        }
        if (why.startsWith("input") || why.startsWith("signature")) {
          // A conflict with a confirmed spend (or a bad signature) never confirms.
          const missing = why.startsWith("input") && !this.#mempoolCreates(tx);
          if (missing || why.startsWith("signature")) {
            this.#mempool.delete(id);
            this.rejected.push({ txid: id, reason: why });
          }
        }
      }
    }
    // Children of txs in this block wait for the next block (simpler than intra-block chains).
    return this.#append(take);
  }

  /** True when some input of `tx` spends an output of a mempool tx (it may confirm later). */
  #mempoolCreates(tx: Tx): boolean {
    return tx.inputs.some((i) => this.#mempool.has(bytesToHex(i.prevout.txid)));
  }

  /** A confirmed output (spent or not), if known. */
  output(o: OutPoint): TxOut | undefined {
    return this.#txs.get(bytesToHex(o.txid))?.tx.outputs[o.vout];
  }

  /** True while `o` is unspent. */
  isUnspent(o: OutPoint): boolean {
    return this.#utxos.has(key(o));
  }

  /** A confirmed tx by txid (internal order). */
  transaction(id: Uint8Array): Tx | undefined {
    return this.#txs.get(bytesToHex(id))?.tx;
  }

  /** The txid of the `index`-th transaction of block `height`. */
  txidAt(height: number, index: number): Uint8Array | undefined {
    const t = this.blocks[height]?.txs[index];
    return t === undefined ? undefined : txid(t);
  }

  /** Height a tx confirmed at. */
  confirmedAt(id: Uint8Array): number | undefined {
    return this.#txs.get(bytesToHex(id))?.height;
  }

  /** Unspent outputs paying `script`. */
  unspentTo(script: Uint8Array): { outpoint: OutPoint; out: TxOut }[] {
    const hex = bytesToHex(script);
    const out: { outpoint: OutPoint; out: TxOut }[] = [];
    for (const [k, u] of this.#utxos) {
      if (bytesToHex(u.out.script) !== hex) continue;
      const [t, v] = k.split(":");
      out.push({
        outpoint: { txid: Uint8Array.from(Buffer.from(t!, "hex")), vout: Number(v) },
        out: u.out,
      });
    }
    return out;
  }

  /** Every confirmed transaction after height `from` (exclusive). */
  transactionsSince(from: number): Tx[] {
    return this.blocks.slice(from + 1).flatMap((b) => b.txs.slice(1));
  }
}
