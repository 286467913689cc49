import { CASH_OFFSET } from "./constants";
import { CodedError } from "../../core/errors";

/** What callers of the model (prover CLI, daemon, tests) must tell apart. */
export enum ModelErrorCode {
  OutOfRange = "OUT_OF_RANGE",
  BadShape = "BAD_SHAPE",
  ReduceTooLarge = "REDUCE_TOO_LARGE",
  SideFlip = "SIDE_FLIP",
  SettleTooLarge = "SETTLE_TOO_LARGE",
  SaltRule = "SALT_RULE",
  MarginBreached = "MARGIN_BREACHED",
  NegativeEquity = "NEGATIVE_EQUITY",
}

export class ModelError extends CodedError<ModelErrorCode> {}

export function requireRange(name: string, value: bigint, bits: number): void {
  if (value < 0n || value >= 1n << BigInt(bits)) {
    throw new ModelError(ModelErrorCode.OutOfRange, `${name} = ${value} is outside [0, 2^${bits})`);
  }
}

/** A signed value x with -2^127 <= x < 2^127 (x + 2^127 fits 128 bits), as cash and settlements. */
export function requireSigned127(name: string, value: bigint): void {
  if (value < -CASH_OFFSET || value >= CASH_OFFSET) {
    throw new ModelError(ModelErrorCode.OutOfRange, `${name} = ${value} is outside [-2^127, 2^127)`);
  }
}
