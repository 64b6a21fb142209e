/**
 * Just enough of source maps to chain two of them: decoding the VLQ `mappings` string into segments
 * and finding the source position of a generated position.
 */

/** Per generated line (0-based), segments [generatedColumn, sourceIndex, sourceLine, sourceColumn, ...], sorted by column. */
export type Mappings = number[][][];

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

export function decodeMappings(mappings: string): Mappings {
  const lines: Mappings = [];
  let sourceIndex = 0;
  let sourceLine = 0;
  let sourceColumn = 0;
  let nameIndex = 0;
  for (const lineText of mappings.split(';')) {
    const segments: number[][] = [];
    let column = 0;
    for (const segmentText of lineText.split(',')) {
      if (!segmentText) continue;
      const fields = decodeVlq(segmentText);
      column += fields[0]!;
      const segment = [column];
      if (fields.length >= 4) {
        sourceIndex += fields[1]!;
        sourceLine += fields[2]!;
        sourceColumn += fields[3]!;
        segment.push(sourceIndex, sourceLine, sourceColumn);
        if (fields.length >= 5) {
          nameIndex += fields[4]!;
          segment.push(nameIndex);
        }
      }
      segments.push(segment);
    }
    segments.sort((a, b) => a[0]! - b[0]!);
    lines.push(segments);
  }
  return lines;
}

function decodeVlq(text: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const c of text) {
    const digit = DIGIT.get(c);
    if (digit === undefined) throw new Error(`source map: bad VLQ character '${c}'`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      const negative = value & 1;
      value >>>= 1;
      out.push(negative ? -value : value);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

/**
 * The source [line, column] (0-based) of a generated position: the nearest mapped segment at or before
 * the column on that line, offset by the distance from it (or, with `insertedMapsForward`, the next
 * segment when the column itself is unmapped). Unmapped lines map to themselves.
 */
export function lookupMapping(mappings: Mappings, line: number, column: number, options: { insertedMapsForward?: boolean } = {}): [number, number] {
  const segments = mappings[line];
  if (!segments || segments.length === 0) return [line, column];
  let best: number[] | null = null;
  let next: number[] | null = null;
  for (const seg of segments) {
    if (seg.length < 4) continue;
    if (seg[0]! <= column) best = seg;
    else {
      next = seg;
      break;
    }
  }
  // In a map of every original character, an unmapped column is inserted text (`__dsl.add(`): it belongs
  // to the expression that follows it.
  if (options.insertedMapsForward && next && (!best || best[0] !== column)) return [next[2]!, next[3]!];
  if (!best) {
    const first = segments.find((seg) => seg.length >= 4);
    if (!first) return [line, column];
    return [first[2]!, first[3]!];
  }
  return [best[2]!, best[3]! + (column - best[0]!)];
}
