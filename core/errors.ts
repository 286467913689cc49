/**
 * The error base every part (prover, keeper, relayer) derives its own error type from: a code callers can
 * tell apart (each part's enum lists its codes) and the subclass's name.
 */
export class CodedError<C extends string> extends Error {
  constructor(
    readonly code: C,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
