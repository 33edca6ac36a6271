/**
 * A readable description of how a reply differs from the recorded one: the codec's
 * field-level diff (decoded fields by name), or the first differing bytes when a message does
 * not decode.
 */
import { bytesToHex } from "../../util/bytes.js";
import { diffHsmdMessages } from "./wire/codec.js";

/** Lines describing the difference between `actual` and `expected` (empty when equal). */
export function describeDifference(
  actual: Uint8Array | null,
  expected: Uint8Array | null,
): string[] {
  if (actual === null || expected === null) {
    if (actual === expected) return [];
    return [
      `reply ${actual === null ? "missing" : "unexpected"} (recorded: ${expected === null ? "none" : "one"})`,
    ];
  }
  try {
    return diffHsmdMessages(actual, expected);
  } catch {
    const n = Math.min(actual.length, expected.length);
    let at = n;
    for (let i = 0; i < n; i++) {
      if (actual[i] !== expected[i]) {
        at = i;
        break;
      }
    }
    const from = Math.max(0, at - 8);
    return [
      `first difference at byte ${at}: ${bytesToHex(actual.subarray(from, at + 24))} vs recorded ${bytesToHex(expected.subarray(from, at + 24))}`,
    ];
  }
}
