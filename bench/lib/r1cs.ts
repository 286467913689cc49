/**
 * Reads the header section of a circom .r1cs file (iden3 binary format) without building a curve:
 * "r1cs" magic, u32 version, u32 section count, then sections of (u32 type, u64 size, bytes).
 * Section 1 (header): u32 n8, n8-byte prime, u32 nWires, u32 nPubOut, u32 nPubIn, u32 nPrvIn,
 * u64 nLabels, u32 nConstraints.
 */
import * as fs from "node:fs";

export interface R1csHeader {
  readonly nWires: number;
  readonly nPubOut: number;
  readonly nPubIn: number;
  readonly nPrvIn: number;
  readonly nLabels: number;
  readonly nConstraints: number;
}

const HEADER_SECTION = 1;

export function readR1csHeader(file: string): R1csHeader {
  const buf = fs.readFileSync(file);
  if (buf.length < 12 || buf.toString("ascii", 0, 4) !== "r1cs") throw new Error(`${file} is not an r1cs file`);
  const sections = buf.readUInt32LE(8);
  let pos = 12;
  for (let i = 0; i < sections; i++) {
    if (pos + 12 > buf.length) break;
    const type = buf.readUInt32LE(pos);
    const size = Number(buf.readBigUInt64LE(pos + 4));
    pos += 12;
    if (type === HEADER_SECTION) {
      const n8 = buf.readUInt32LE(pos);
      let p = pos + 4 + n8;
      const u32 = () => {
        const v = buf.readUInt32LE(p);
        p += 4;
        return v;
      };
      const nWires = u32();
      const nPubOut = u32();
      const nPubIn = u32();
      const nPrvIn = u32();
      const nLabels = Number(buf.readBigUInt64LE(p));
      p += 8;
      const nConstraints = u32();
      return { nWires, nPubOut, nPubIn, nPrvIn, nLabels, nConstraints };
    }
    pos += size;
  }
  throw new Error(`${file} has no r1cs header section`);
}
