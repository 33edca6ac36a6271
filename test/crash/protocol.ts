/**
 * What the crash driver reports, one JSON line per reply it obtained from the signer (written
 * before it acts on the reply), and the parent's checks over those lines and the stored state
 * it reads after every SIGKILL. The checks are pure, so they are tested on their own.
 */

/** One reply the driver obtained (hex strings; `ch` is the channel index). */
export type DriverLine =
  | { t: "start" }
  | { t: "done" }
  /** Our signatures on counterparty commitment n (commitment signature, then HTLC ones). */
  | { t: "cpsig"; ch: number; n: number; sig: string }
  /** The peer's revocation of its commitment n was accepted. */
  | { t: "crev"; ch: number; n: number }
  /** Our holder commitment n was validated. */
  | { t: "valid"; ch: number; n: number }
  /** The secret of our holder commitment n was released. */
  | { t: "secret"; ch: number; n: number; secret: string }
  /** Our holder commitment n was signed for broadcast. */
  | { t: "bcast"; ch: number; n: number; sig: string }
  /** A request the driver expected to be refused was refused (rule id / code). */
  | { t: "refused"; ch: number; what: string; code: string };

/** The numbers of a channel's stored state the checks look at. */
export interface StoredNumbers {
  nextCounterpartyCommitNum: number;
  counterpartyRevokedThrough: number;
  nextHolderCommitNum: number;
  holderRevokedThrough: number;
  holderCommitmentBroadcast: number | undefined;
}

interface Emitted {
  cp: number;
  crev: number;
  valid: number;
  secret: number;
}

/**
 * Accumulates the driver's lines across every run of one store, and the stored states read
 * between runs; `violations` lists every broken guarantee:
 * - no committed update lost: each reply emitted is covered by every later stored state;
 * - never a revoked holder commitment signed for broadcast (in either order);
 * - never two different secrets or signatures for the same commitment number;
 * - counterparty commitment numbers monotone, in the replies and in the stored states.
 */
export class CrashChecker {
  readonly violations: string[] = [];
  readonly #sigs = new Map<string, string>();
  readonly #secrets = new Map<string, string>();
  readonly #broadcast = new Map<number, { n: number; sig: string }>();
  readonly #emitted = new Map<number, Emitted>();
  readonly #stored = new Map<number, StoredNumbers>();
  /** Signature replies for a counterparty commitment number already replied (retries). */
  repeats = 0;
  /** Replies seen, by kind. */
  readonly counts = new Map<string, number>();
  /**
   * Whether the lines come from one driver at a time (then counterparty numbers replied must
   * not go back); lines of drivers running side by side interleave, so their merge is not.
   */
  readonly #sequential: boolean;

  constructor(opts: { sequential?: boolean } = {}) {
    this.#sequential = opts.sequential ?? true;
  }

  #max(ch: number): Emitted {
    let e = this.#emitted.get(ch);
    if (e === undefined) {
      e = { cp: -1, crev: -1, valid: -1, secret: -1 };
      this.#emitted.set(ch, e);
    }
    return e;
  }

  #fail(message: string): void {
    if (this.violations.length < 50) this.violations.push(message);
  }

  /** Takes one reply line. */
  line(l: DriverLine): void {
    this.counts.set(l.t, (this.counts.get(l.t) ?? 0) + 1);
    switch (l.t) {
      case "cpsig": {
        const e = this.#max(l.ch);
        if (this.#sequential && l.n < e.cp) {
          this.#fail(`ch${l.ch}: counterparty commitment ${l.n} signed after ${e.cp}`);
        }
        const key = `${l.ch}/${l.n}`;
        const before = this.#sigs.get(key);
        if (before !== undefined) this.repeats++;
        if (before !== undefined && before !== l.sig) {
          this.#fail(`ch${l.ch}: two different signatures for counterparty commitment ${l.n}`);
        }
        this.#sigs.set(key, l.sig);
        e.cp = Math.max(e.cp, l.n);
        break;
      }
      case "secret": {
        const key = `${l.ch}/${l.n}`;
        const before = this.#secrets.get(key);
        if (before !== undefined && before !== l.secret) {
          this.#fail(`ch${l.ch}: two different secrets for holder commitment ${l.n}`);
        }
        this.#secrets.set(key, l.secret);
        const b = this.#broadcast.get(l.ch);
        if (b !== undefined && b.n <= l.n) {
          this.#fail(`ch${l.ch}: holder commitment ${b.n} signed for broadcast, then revoked`);
        }
        const e = this.#max(l.ch);
        e.secret = Math.max(e.secret, l.n);
        break;
      }
      case "bcast": {
        const b = this.#broadcast.get(l.ch);
        if (b !== undefined && (b.n !== l.n || b.sig !== l.sig)) {
          this.#fail(`ch${l.ch}: two different holder commitments signed for broadcast`);
        }
        this.#broadcast.set(l.ch, { n: l.n, sig: l.sig });
        if (this.#max(l.ch).secret >= l.n) {
          this.#fail(`ch${l.ch}: revoked holder commitment ${l.n} signed for broadcast`);
        }
        break;
      }
      case "crev":
        this.#max(l.ch).crev = Math.max(this.#max(l.ch).crev, l.n);
        break;
      case "valid":
        this.#max(l.ch).valid = Math.max(this.#max(l.ch).valid, l.n);
        break;
      default:
        break;
    }
  }

  /** Takes channel `ch`'s stored state, read while no driver runs. */
  stored(ch: number, s: StoredNumbers | undefined): void {
    const e = this.#max(ch);
    const prev = this.#stored.get(ch);
    if (s === undefined) {
      if (prev !== undefined || e.cp >= 0) this.#fail(`ch${ch}: the stored channel vanished`);
      return;
    }
    const lost = (what: string, stored: number, emitted: number): void => {
      if (stored < emitted)
        this.#fail(`ch${ch}: ${what} ${emitted} was replied, the store has ${stored}`);
    };
    lost("counterparty commitment", s.nextCounterpartyCommitNum - 1, e.cp);
    lost("counterparty revocation", s.counterpartyRevokedThrough, e.crev);
    lost("holder commitment", s.nextHolderCommitNum - 1, e.valid);
    lost("holder revocation", s.holderRevokedThrough, e.secret);
    const b = this.#broadcast.get(ch);
    if (b !== undefined && s.holderCommitmentBroadcast !== b.n) {
      this.#fail(
        `ch${ch}: broadcast of ${b.n} was replied, the store has ${s.holderCommitmentBroadcast}`,
      );
    }
    if (
      s.holderCommitmentBroadcast !== undefined &&
      s.holderCommitmentBroadcast <= s.holderRevokedThrough
    ) {
      this.#fail(`ch${ch}: the store records a revoked holder commitment signed for broadcast`);
    }
    if (s.holderRevokedThrough >= s.nextHolderCommitNum - 1 && s.nextHolderCommitNum > 0) {
      this.#fail(`ch${ch}: the current holder commitment is revoked in the store`);
    }
    if (prev !== undefined) {
      const back = (what: string, before: number, now: number): void => {
        if (now < before) this.#fail(`ch${ch}: stored ${what} went back from ${before} to ${now}`);
      };
      back(
        "next counterparty commitment",
        prev.nextCounterpartyCommitNum,
        s.nextCounterpartyCommitNum,
      );
      back(
        "counterparty revocation",
        prev.counterpartyRevokedThrough,
        s.counterpartyRevokedThrough,
      );
      back("next holder commitment", prev.nextHolderCommitNum, s.nextHolderCommitNum);
      back("holder revocation", prev.holderRevokedThrough, s.holderRevokedThrough);
    }
    this.#stored.set(ch, { ...s });
  }
}

/** Parses complete lines of driver output (a trailing partial line is returned as `rest`). */
export function parseLines(text: string): { lines: DriverLine[]; rest: string } {
  const parts = text.split("\n");
  const rest = parts.pop()!;
  return { lines: parts.filter((p) => p.length > 0).map((p) => JSON.parse(p) as DriverLine), rest };
}
