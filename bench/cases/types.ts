/** One benchmark row: what it measures, and how. Cases run one after another in one page. */
export interface BenchRow {
  id: string;
  label: string;
  value: number;
  unit: string;
  note?: string;
}

export interface BenchContext {
  /** Progress text for the page and the runner's console. */
  log(message: string): void;
  /** Rows measured so far (ratio rows read them). */
  results: ReadonlyMap<string, BenchRow>;
}

export interface BenchCase {
  id: string;
  /** Cases this one needs the rows of (run first even when not asked for). */
  after?: string[];
  run(ctx: BenchContext): Promise<BenchRow[]>;
}
