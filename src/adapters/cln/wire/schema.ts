/**
 * Shapes of the hsmd wire table (messages.ts, generated from Core Lightning's hsmd_wire.csv).
 */

/**
 * How many elements a field has: null = one value; a number = that many (fixed array); a field
 * name = the value of that earlier integer field; "..." = everything up to the end of the message.
 */
export type HsmdCount = number | string | null;

/** One field of a message, subtype or TLV record, exactly as hsmd_wire.csv declares it. */
export interface HsmdFieldDef {
  readonly name: string;
  /** The CSV type name, e.g. "u64", "node_id", "bitcoin_tx", "enum side", "hsm_htlc". */
  readonly type: string;
  /** "?type" in the CSV: a bool, then the value only when the bool is true. */
  readonly optional: boolean;
  readonly count: HsmdCount;
}

/** One hsmd message type. */
export interface HsmdMessageDef {
  readonly name: string;
  readonly type: number;
  readonly fields: readonly HsmdFieldDef[];
}

/** A structure ("subtype") used as a field type. */
export interface HsmdSubtypeDef {
  readonly name: string;
  readonly fields: readonly HsmdFieldDef[];
}

/** One record type of a TLV stream. */
export interface HsmdTlvRecordDef {
  readonly name: string;
  readonly type: number;
  readonly fields: readonly HsmdFieldDef[];
}

/** A TLV stream used as a field type (always the last field of its message). */
export interface HsmdTlvDef {
  readonly name: string;
  readonly records: readonly HsmdTlvRecordDef[];
}
