/**
 * Shared vocabulary of the benchmark: a Figure is one printed line (`name: value unit`), a Section
 * produces a group of figures (bench/run.ts keeps the registry). Progress and diagnostics go to
 * stderr through `progress()`; stdout carries figures only.
 */
import { performance } from "node:perf_hooks";

export interface Figure {
  /** Dotted name, e.g. "solvency.prove_ms". */
  readonly name: string;
  readonly value: number;
  /** Unit word printed after the value, e.g. "ms", "bytes", "constraints". */
  readonly unit: string;
}

export interface Section {
  /** Short name shown in progress messages. */
  readonly name: string;
  /** Returns a reason to skip the section (then it prints nothing), or undefined to run it. */
  readonly skip?: () => string | undefined;
  readonly run: () => Promise<Figure[]>;
}

/** Timed runs that count towards a median, and untimed warm-up runs before them. */
export const RUNS = 7;
export const WARMUP = 1;

export function figure(name: string, value: number, unit: string): Figure {
  if (!Number.isFinite(value)) throw new Error(`figure ${name} is not a finite number: ${value}`);
  return { name, value, unit };
}

export function formatFigure(f: Figure): string {
  return `${f.name}: ${f.value} ${f.unit}`;
}

/** Median of a non-empty sample (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of an empty sample");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Rounds to `digits` decimals (figures print without float noise). */
export function round(value: number, digits = 1): number {
  const k = 10 ** digits;
  return Math.round(value * k) / k;
}

/** Wall time of `fn` in milliseconds. */
export async function timeMs(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * Runs `fn` `warmup` times untimed, then `runs` times timed; gives the median in milliseconds,
 * rounded to 0.1 ms.
 */
export async function medianMs(label: string, fn: () => unknown, runs = RUNS, warmup = WARMUP): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await timeMs(fn));
  progress(`${label}: ${samples.map((s) => s.toFixed(1)).join(" ")} ms (median ${median(samples).toFixed(1)})`);
  return round(median(samples));
}

export function progress(msg: string): void {
  process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
}
