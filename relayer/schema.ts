/**
 * The shape of POST /answers (core/relayerClient AnswerJson): every number a decimal string within its
 * Solidity type, every proof coordinate below the base field modulus q (the batch verifier refuses the
 * rest, so they are refused here, before any pairing). Parsing returns the domain answer with bigints.
 */
import { getAddress, isAddress } from "ethers";
import { z } from "zod";
import { BASE_FIELD } from "../core/groth16";
import { RECORD_FIELDS, type RecordFields, type RelayedAnswer } from "../core/relayerClient";
import { RelayerError, RelayerErrorCode } from "./errors";

const address = z
  .string()
  .refine((a) => isAddress(a), "expected a 0x-prefixed 20-byte address")
  .transform((a) => getAddress(a));

function uintBits(bits: number) {
  const max = (1n << BigInt(bits)) - 1n;
  return z
    .string()
    .regex(/^(0|[1-9][0-9]{0,77})$/, "expected a non-negative integer as a decimal string")
    .transform((s) => BigInt(s))
    .refine((x) => x <= max, `must fit uint${bits}`);
}

const coordinate = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, "expected a non-negative integer as a decimal string")
  .transform((s) => BigInt(s))
  .refine((x) => x < BASE_FIELD, "must be below the BN254 base field modulus q");
const pair = z.tuple([coordinate, coordinate]);

const RECORD_BITS: Record<Exclude<(typeof RECORD_FIELDS)[number], "challenger">, number> = {
  nonce: 64,
  pinnedAt: 40,
  deadline: 40,
  pauseClockAt: 64,
  bond: 128,
  exclusivePeriod: 32,
  targetFactorBps: 16,
  deleverageFeeBps: 16,
  keeperShareBps: 16,
  mm: 64,
  haircuts: 64,
  marketPrices: 256,
  assetPrices: 256,
};

const recordSchema = z.strictObject({
  challenger: address,
  ...Object.fromEntries(Object.entries(RECORD_BITS).map(([k, bits]) => [k, uintBits(bits)])),
}) as unknown as z.ZodType<RecordFields>;

export const answerSchema = z.strictObject({
  account: address,
  record: recordSchema,
  d: uintBits(16),
  pm: uintBits(64),
  proof: z.strictObject({ a: pair, b: z.tuple([pair, pair]), c: pair }),
});

/** The answer in `body`, or BAD_REQUEST naming every field that is wrong. */
export function parseAnswer(body: unknown): RelayedAnswer {
  const r = answerSchema.safeParse(body);
  if (!r.success) {
    const issues = r.error.issues
      .slice(0, 8)
      .map((i) => `${i.path.map(String).join(".") || "(body)"}: ${i.message}`)
      .join("; ");
    throw new RelayerError(RelayerErrorCode.BadRequest, `the answer is malformed: ${issues}`, 400);
  }
  return r.data as RelayedAnswer;
}
