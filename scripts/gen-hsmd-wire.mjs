#!/usr/bin/env node
// Generates src/adapters/cln/wire/messages.ts from Core Lightning's hsmd_wire.csv.
//
//   node scripts/gen-hsmd-wire.mjs            write the table (npm run gen:cln-wire)
//   node scripts/gen-hsmd-wire.mjs --check    exit 1 if the committed table differs from a fresh generation
//   --csv <path>   the CSV (default: <shared>/reference/cln/hsmd_wire.csv, see sharedDir())
//   --out <path>   the table (default: src/adapters/cln/wire/messages.ts)
//
// The CSV format is Core Lightning's (tools/generate-wire.py): msgtype/msgdata, tlvtype/tlvdata,
// subtype/subtypedata lines; a type prefixed by '?' is optional (a bool, then the value when true);
// a count is a number (fixed), a field name (length from an earlier field) or '...' (rest).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The shared reference directory: $WARDEN_SHARED_DIR, ../shared, or ../shared of the main worktree. */
function sharedDir() {
  const env = process.env["WARDEN_SHARED_DIR"];
  if (env !== undefined && env !== "") return env;
  const sibling = resolve(repoRoot, "../shared");
  if (existsSync(sibling)) return sibling;
  const dotGit = resolve(repoRoot, ".git");
  if (existsSync(dotGit)) {
    const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, "utf8"));
    if (m !== null) {
      // <main>/.git/worktrees/<name> → <main>/../shared
      const main = resolve(m[1].trim(), "../../..");
      const shared = resolve(main, "../shared");
      if (existsSync(shared)) return shared;
    }
  }
  return sibling;
}

function parseCount(raw, where) {
  const c = (raw ?? "").trim();
  if (c === "") return null;
  if (/^[0-9]+$/.test(c)) return Number(c);
  if (c === "..." || /^[a-z_][a-z0-9_]*$/i.test(c)) return c;
  throw new Error(`${where}: bad count ${JSON.stringify(c)}`);
}

function parseType(raw, where) {
  let t = (raw ?? "").trim();
  if (t === "") throw new Error(`${where}: missing type`);
  const optional = t.startsWith("?");
  if (optional) t = t.slice(1);
  return { type: t, optional };
}

function field(cols, at, where) {
  const name = cols[at].trim();
  const { type, optional } = parseType(cols[at + 1], where);
  const count = parseCount(cols[at + 2], where);
  if (optional && count !== null) throw new Error(`${where}: optional array`);
  return { name, type, optional, count };
}

/** Parses hsmd_wire.csv into messages, subtypes and TLV stream definitions (in file order). */
export function parseWireCsv(text) {
  const messages = [];
  const subtypes = [];
  const tlvs = [];
  const msgByName = new Map();
  const subByName = new Map();
  const tlvByName = new Map();
  text.split("\n").forEach((line, i) => {
    const where = `hsmd_wire.csv:${i + 1}`;
    const l = line.trim();
    if (l === "" || l.startsWith("#")) return;
    const cols = l.split(",");
    switch (cols[0]) {
      case "msgtype": {
        const name = cols[1].trim();
        const type = Number(cols[2]);
        if (!Number.isInteger(type) || type < 0 || type > 0xffff || msgByName.has(name)) {
          throw new Error(`${where}: bad msgtype`);
        }
        if (messages.some((m) => m.type === type)) throw new Error(`${where}: duplicate type`);
        const m = { name, type, fields: [] };
        messages.push(m);
        msgByName.set(name, m);
        break;
      }
      case "msgdata": {
        const m = msgByName.get(cols[1].trim());
        if (m === undefined) throw new Error(`${where}: msgdata before msgtype`);
        m.fields.push(field(cols, 2, where));
        break;
      }
      case "subtype": {
        const s = { name: cols[1].trim(), fields: [] };
        subtypes.push(s);
        subByName.set(s.name, s);
        break;
      }
      case "subtypedata": {
        const s = subByName.get(cols[1].trim());
        if (s === undefined) throw new Error(`${where}: subtypedata before subtype`);
        s.fields.push(field(cols, 2, where));
        break;
      }
      case "tlvtype": {
        const name = cols[1].trim();
        let t = tlvByName.get(name);
        if (t === undefined) {
          t = { name, records: [] };
          tlvs.push(t);
          tlvByName.set(name, t);
        }
        const type = Number(cols[3]);
        if (!Number.isSafeInteger(type) || type < 0) throw new Error(`${where}: bad tlv type`);
        t.records.push({ name: cols[2].trim(), type, fields: [] });
        break;
      }
      case "tlvdata": {
        const t = tlvByName.get(cols[1].trim());
        const r = t?.records.find((x) => x.name === cols[2].trim());
        if (r === undefined) throw new Error(`${where}: tlvdata before tlvtype`);
        r.fields.push(field(cols, 3, where));
        break;
      }
      default:
        throw new Error(`${where}: unknown line kind ${JSON.stringify(cols[0])}`);
    }
  });
  return { messages, subtypes, tlvs };
}

/** The TypeScript source of messages.ts for `csvText`, formatted with the repository's prettier config. */
export async function generateTable(csvText, outPath) {
  const { messages, subtypes, tlvs } = parseWireCsv(csvText);
  const code = [
    "// GENERATED by scripts/gen-hsmd-wire.mjs from Core Lightning's hsmd_wire.csv (npm run gen:cln-wire).",
    "// Do not edit: test/adapters/cln/wire/table.test.ts checks it equals a fresh generation.",
    'import type { HsmdMessageDef, HsmdSubtypeDef, HsmdTlvDef } from "./schema.js";',
    "",
    "/** Every hsmd wire message, in CSV order. */",
    `export const HSMD_MESSAGES: readonly HsmdMessageDef[] = ${JSON.stringify(messages)};`,
    "",
    "/** Subtypes (structures) the CSV defines. */",
    `export const HSMD_SUBTYPES: readonly HsmdSubtypeDef[] = ${JSON.stringify(subtypes)};`,
    "",
    "/** TLV streams the CSV defines. */",
    `export const HSMD_TLVS: readonly HsmdTlvDef[] = ${JSON.stringify(tlvs)};`,
    "",
  ].join("\n");
  const config = (await prettier.resolveConfig(outPath)) ?? {};
  return prettier.format(code, { ...config, parser: "typescript" });
}

async function main(argv) {
  const arg = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const csvPath = arg("--csv") ?? resolve(sharedDir(), "reference/cln/hsmd_wire.csv");
  const outPath = arg("--out") ?? resolve(repoRoot, "src/adapters/cln/wire/messages.ts");
  const fresh = await generateTable(readFileSync(csvPath, "utf8"), outPath);
  if (argv.includes("--check")) {
    const committed = existsSync(outPath) ? readFileSync(outPath, "utf8") : "";
    if (committed !== fresh) {
      console.error(`${outPath} differs from a fresh generation from ${csvPath}`);
      process.exit(1);
    }
    console.log(`${outPath} is up to date`);
    return;
  }
  writeFileSync(outPath, fresh);
  console.log(`wrote ${outPath}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  });
}
