/**
 * The encrypted file format: scrypt(passphrase) -> AES-256-GCM over the JSON document. A key-check value
 * (HMAC of a constant under a separate subkey) tells a wrong passphrase from a corrupted file; GCM's tag
 * authenticates the contents and the header (as additional data).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  scryptSync,
  timingSafeEqual,
} from "node:crypto";
import { z } from "zod";
import { StoreError, StoreErrorCode } from "./errors";

export const FORMAT = "zkmargin-state" as const;
export const VERSION = 1 as const;

export interface KdfParams {
  N: number;
  r: number;
  p: number;
}
/** scrypt cost: about 100 ms and 32 MiB here (N = 2^15). */
export const DEFAULT_KDF: KdfParams = { N: 1 << 15, r: 8, p: 1 };
/**
 * The most expensive scrypt a state header may ask for: N <= 2^18, r <= 16, p <= 4 (at most 512 MiB and
 * a few seconds). A crafted header asking for more (N = 2^22 took 37 s and 4 GiB) is refused before any
 * work is done.
 */
export const MAX_KDF: KdfParams = { N: 1 << 18, r: 16, p: 4 };

const hex = z.string().regex(/^[0-9a-f]*$/);
const Envelope = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  kdf: z.object({
    name: z.literal("scrypt"),
    N: z.number().int().positive(),
    r: z.number().int().positive(),
    p: z.number().int().positive(),
    salt: hex,
  }),
  cipher: z.literal("aes-256-gcm"),
  check: hex,
  iv: hex,
  tag: hex,
  ciphertext: hex,
});
type Envelope = z.infer<typeof Envelope>;

/**
 * Derived keys of this process, by (passphrase digest, salt, cost): a command reads its state and writes
 * it back several times (pending, sent, committed) under the same salt, so scrypt runs once per command
 * instead of once per write. Rewrites of a file keep its salt (each seal still draws a fresh IV); a new
 * file or a backup gets a fresh salt.
 */
const derived = new Map<string, { enc: Buffer; check: Buffer }>();

function keys(passphrase: string, salt: Buffer, kdf: KdfParams): { enc: Buffer; check: Buffer } {
  const id = `${createHash("sha256").update(passphrase.normalize("NFKC")).digest("hex")}:${salt.toString("hex")}:${kdf.N}:${kdf.r}:${kdf.p}`;
  const hit = derived.get(id);
  if (hit) return hit;
  const k = deriveKeys(passphrase, salt, kdf);
  if (derived.size >= 16) derived.delete(derived.keys().next().value!);
  derived.set(id, k);
  return k;
}

function deriveKeys(passphrase: string, salt: Buffer, kdf: KdfParams): { enc: Buffer; check: Buffer } {
  const master = scryptSync(passphrase.normalize("NFKC"), salt, 64, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r,
  });
  return {
    enc: master.subarray(0, 32),
    check: createHmac("sha256", master.subarray(32)).update("zkmargin key check").digest(),
  };
}

function aad(e: Pick<Envelope, "format" | "version" | "kdf" | "cipher">): Buffer {
  return Buffer.from(JSON.stringify([e.format, e.version, e.kdf, e.cipher]));
}

/** Encrypts `plaintext`; `salt` (hex) keeps a file's key-derivation salt across its rewrites. */
export function seal(plaintext: string, passphrase: string, kdf: KdfParams = DEFAULT_KDF, salt0?: string): string {
  if (passphrase.length === 0) throw new StoreError(StoreErrorCode.WrongPassphrase, "the passphrase must not be empty");
  const salt = salt0 !== undefined && /^[0-9a-f]{32}$/.test(salt0) ? Buffer.from(salt0, "hex") : randomBytes(16);
  const iv = randomBytes(12);
  const { enc, check } = keys(passphrase, salt, kdf);
  const header = {
    format: FORMAT,
    version: VERSION,
    kdf: { name: "scrypt" as const, ...kdf, salt: salt.toString("hex") },
    cipher: "aes-256-gcm" as const,
  };
  const cipher = createCipheriv("aes-256-gcm", enc, iv);
  cipher.setAAD(aad(header));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const envelope: Envelope = {
    ...header,
    check: check.toString("hex"),
    iv: iv.toString("hex"),
    tag: cipher.getAuthTag().toString("hex"),
    ciphertext: ciphertext.toString("hex"),
  };
  return `${JSON.stringify(envelope, null, 1)}\n`;
}

export function open(fileText: string, passphrase: string, where: string): string {
  return openEnvelope(fileText, passphrase, where).plaintext;
}

/** Decrypts an envelope; also gives its salt (hex) and key-derivation cost, to reseal it alike. */
export function openEnvelope(
  fileText: string,
  passphrase: string,
  where: string,
): { plaintext: string; salt: string; kdf: KdfParams } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fileText);
  } catch {
    throw new StoreError(
      StoreErrorCode.Corrupted,
      `${where} is not a zkmargin state file (truncated or corrupted JSON); restore a backup`,
    );
  }
  const r = Envelope.safeParse(parsed);
  if (!r.success)
    throw new StoreError(
      StoreErrorCode.Corrupted,
      `${where} is corrupted (${r.error.issues[0]?.path.join(".")}: ${r.error.issues[0]?.message}); restore a backup`,
    );
  const e = r.data;
  const iv = Buffer.from(e.iv, "hex");
  const tag = Buffer.from(e.tag, "hex");
  if (iv.length !== 12 || tag.length !== 16)
    throw new StoreError(StoreErrorCode.Corrupted, `${where} has a malformed nonce or tag; restore a backup`);
  if (e.kdf.N > MAX_KDF.N || e.kdf.r > MAX_KDF.r || e.kdf.p > MAX_KDF.p || (e.kdf.N & (e.kdf.N - 1)) !== 0) {
    throw new StoreError(
      StoreErrorCode.KdfTooExpensive,
      `${where} asks for scrypt N=${e.kdf.N}, r=${e.kdf.r}, p=${e.kdf.p}: above this prover's maximum (N=2^18, r=16, p=4) or N not a power of two; refusing to derive a key (the header may have been tampered with)`,
    );
  }
  let k: { enc: Buffer; check: Buffer };
  try {
    k = keys(passphrase, Buffer.from(e.kdf.salt, "hex"), { N: e.kdf.N, r: e.kdf.r, p: e.kdf.p });
  } catch (err) {
    throw new StoreError(
      StoreErrorCode.Corrupted,
      `${where} has invalid key-derivation parameters (${(err as Error).message}); restore a backup`,
    );
  }
  const { enc, check } = k;
  const stored = Buffer.from(e.check, "hex");
  if (stored.length !== check.length || !timingSafeEqual(stored, check)) {
    throw new StoreError(StoreErrorCode.WrongPassphrase, `wrong passphrase for ${where}`);
  }
  try {
    const d = createDecipheriv("aes-256-gcm", enc, iv, { authTagLength: 16 });
    d.setAAD(aad(e));
    d.setAuthTag(tag);
    const plaintext = Buffer.concat([d.update(Buffer.from(e.ciphertext, "hex")), d.final()]).toString("utf8");
    return { plaintext, salt: e.kdf.salt, kdf: { N: e.kdf.N, r: e.kdf.r, p: e.kdf.p } };
  } catch {
    throw new StoreError(
      StoreErrorCode.Corrupted,
      `${where} failed authentication (modified or corrupted); restore a backup`,
    );
  }
}
