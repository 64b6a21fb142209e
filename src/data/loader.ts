/**
 * Reads gzip IDX files over HTTP: streamed through `DecompressionStream('gzip')` with byte progress,
 * served from a cache (the Cache API in the browser) after the first successful load. Every failure
 * names the file and says what is wrong: HTTP status, a page instead of a gzip file, a corrupt or
 * truncated gzip stream, or (from parseIdx) a bad IDX header or payload.
 */
import { parseIdx, type IdxArray } from './idx';

export class DatasetFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'DatasetFileError';
  }
}

/** The part of the Cache API the loader uses (a `Cache` satisfies it). */
export interface CacheLike {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
}

export interface LoaderEnv {
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  cache: CacheLike | null;
  signal?: AbortSignal;
  /** Non-fatal trouble (the cache refused a file); the load goes on. */
  warn?: (message: string) => void;
}

export interface ReadEvents {
  /** The response started: its compressed size when known. */
  onStart?: (total: number | null, fromCache: boolean) => void;
  /** More compressed bytes arrived. */
  onBytes?: (bytes: number) => void;
}

export interface ReadResult {
  array: IdxArray;
  fromCache: boolean;
  compressedBytes: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Bytes backed by a plain ArrayBuffer (what streams, Blob and Response take). */
type Bytes = Uint8Array<ArrayBuffer>;

export async function readGzipIdx(url: string, file: string, env: LoaderEnv, events: ReadEvents = {}): Promise<ReadResult> {
  const { response, fromCache } = await open(url, file, env);
  const length = Number(response.headers.get('content-length'));
  events.onStart?.(Number.isFinite(length) && length > 0 ? length : null, fromCache);
  if (!response.body) throw new DatasetFileError(file, `the response from ${url} has no body`);

  const compressed: Bytes[] = [];
  let compressedBytes = 0;
  let sourceError: unknown = null;
  const source = response.body.getReader();
  const first = await readHead(source, 16, file, url);
  if (first.byteLength === 0) throw new DatasetFileError(file, `empty file at ${url}`);
  const gzipped = startsWith(first, GZIP_MAGIC);
  // A body the browser already unzipped is longer than the Content-Length it came with: progress is
  // scaled by the IDX size its header promises, so it still ends at the compressed total.
  const declaredRaw = gzipped ? null : idxByteLength(first);
  const progressScale = declaredRaw && Number.isFinite(length) && length > 0 ? length / declaredRaw : 1;
  let reported = 0;
  let seen = 0;

  // Re-emits the head, then the rest, counting every chunk and keeping it for the cache.
  const counted = new ReadableStream<Bytes>({
    start(controller) {
      take(first);
      controller.enqueue(first);
    },
    async pull(controller) {
      try {
        const { done, value } = await source.read();
        if (done) controller.close();
        else {
          take(value);
          controller.enqueue(value);
        }
      } catch (error) {
        sourceError = error;
        controller.error(error);
      }
    },
    cancel(reason) {
      return source.cancel(reason);
    },
  });
  function take(chunk: Bytes): void {
    if (!fromCache) compressed.push(chunk);
    seen += chunk.byteLength;
    const progressBytes = Math.round(seen * progressScale);
    compressedBytes = progressBytes;
    events.onBytes?.(progressBytes - reported);
    reported = progressBytes;
  }

  let raw: Bytes;
  if (gzipped) {
    try {
      raw = await readAll(counted.pipeThrough(new DecompressionStream('gzip')), env.signal);
    } catch (error) {
      if (env.signal?.aborted) throw env.signal.reason;
      if (sourceError) throw new DatasetFileError(file, `the download from ${url} failed after ${compressedBytes} bytes (${message(sourceError)})`);
      throw new DatasetFileError(
        file,
        `the gzip data is corrupt or truncated: decompression failed after ${compressedBytes} compressed bytes (${message(error)})`,
      );
    }
  } else if (first[0] === 0 && first[1] === 0) {
    // The server already undid the gzip (Content-Encoding: gzip): these are the IDX bytes themselves.
    raw = await readAll(counted, env.signal);
  } else {
    await source.cancel().catch(() => {});
    throw new DatasetFileError(file, `not a gzip file: it starts with ${describeStart(first)}`);
  }

  const array = parseIdx(raw, file);
  if (!fromCache && env.cache) {
    const body = concat(compressed, seen);
    const headers = { 'content-type': 'application/gzip', 'content-length': String(body.byteLength) };
    await env.cache.put(url, new Response(body, { headers })).catch((error: unknown) => {
      env.warn?.(`${file}: not cached (${message(error)}); it will be downloaded again next time`);
    });
  }
  return { array, fromCache, compressedBytes };
}

async function open(url: string, file: string, env: LoaderEnv): Promise<{ response: Response; fromCache: boolean }> {
  if (env.cache) {
    const cached = await env.cache.match(url).catch(() => undefined);
    if (cached?.body) return { response: cached, fromCache: true };
  }
  let response: Response;
  try {
    response = await env.fetch(url, env.signal ? { signal: env.signal } : {});
  } catch (error) {
    if (env.signal?.aborted) throw env.signal.reason;
    throw new DatasetFileError(file, `could not be downloaded from ${url} (${message(error)})`);
  }
  if (!response.ok) {
    throw new DatasetFileError(file, `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''} from ${url}`);
  }
  return { response, fromCache: false };
}

/** Reads at least `bytes` bytes (fewer only if the stream ends), enough to tell what kind of file it is. */
async function readHead(reader: ReadableStreamDefaultReader<Bytes>, bytes: number, file: string, url: string): Promise<Bytes> {
  const chunks: Bytes[] = [];
  let length = 0;
  try {
    while (length < bytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.byteLength;
    }
  } catch (error) {
    throw new DatasetFileError(file, `the download from ${url} failed (${message(error)})`);
  }
  return concat(chunks, length);
}

async function readAll(stream: ReadableStream<Bytes>, signal: AbortSignal | undefined): Promise<Bytes> {
  const reader = stream.getReader();
  const chunks: Bytes[] = [];
  let bytes = 0;
  for (;;) {
    if (signal?.aborted) {
      await reader.cancel(signal.reason).catch(() => {});
      throw signal.reason;
    }
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    bytes += value.byteLength;
  }
  return concat(chunks, bytes);
}

function concat(chunks: readonly Bytes[], bytes: number): Bytes {
  if (chunks.length === 1) return chunks[0]!;
  if (chunks.length === 0) return new Uint8Array(0);
  const out = new Uint8Array(bytes);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Header plus payload size an IDX header declares, or null if `head` does not hold a whole header. */
function idxByteLength(head: Uint8Array): number | null {
  const rank = head[3] ?? 0;
  if (head[0] !== 0 || head[1] !== 0 || rank < 1 || head.byteLength < 4 + 4 * rank) return null;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let size = 4 + 4 * rank;
  let count = 1;
  for (let i = 0; i < rank; i++) count *= view.getUint32(4 + 4 * i, false);
  size += count;
  return size;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

function describeStart(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 16);
  const text = new TextDecoder().decode(head);
  if (/^\s*</.test(text)) return `"${text.trim().slice(0, 15)}…", an HTML page (is the file missing on the server?)`;
  const hex = [...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `bytes ${hex} (a gzip file starts with 1f 8b)`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
