/** What the bench page leaves for bench/run.mjs. */
interface Window {
  __bench?: { done: boolean; rows: { id: string; label: string; value: number; unit: string; note?: string }[]; log: string[]; error?: string };
}
