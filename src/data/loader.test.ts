import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IdxError } from './idx';
import { DatasetFileError, readGzipIdx, type LoaderEnv } from './loader';
import { MemoryCache, chunkedResponse, fakeFetch, makeIdx } from './testFiles';

const URL_ = 'http://127.0.0.1/datasets/x/images.gz';
const FILE = 'images.gz';
const values = Array.from({ length: 3 * 4 * 5 }, (_, i) => (i * 37) % 256);
const idx = makeIdx([3, 4, 5], values);

function env(files: Record<string, Uint8Array>, cache: MemoryCache | null = null, chunkSize = 16) {
  const fetched = fakeFetch(files, chunkSize);
  const loaderEnv: LoaderEnv = { fetch: fetched.fetch, cache };
  return { env: loaderEnv, requested: fetched.requested };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected the load to fail');
  return error;
}

describe('readGzipIdx', () => {
  it('streams, decompresses and parses a gzip IDX file, counting compressed bytes', async () => {
    const gz = gzipSync(idx);
    const { env: e } = env({ [URL_]: gz });
    const starts: (number | null)[] = [];
    let bytes = 0;
    let events = 0;
    const result = await readGzipIdx(URL_, FILE, e, {
      onStart: (total) => starts.push(total),
      onBytes: (n) => {
        bytes += n;
        events++;
      },
    });
    expect(result.array.shape).toEqual([3, 4, 5]);
    expect([...result.array.data]).toEqual(values);
    expect(result.fromCache).toBe(false);
    expect(result.compressedBytes).toBe(gz.length);
    expect(starts).toEqual([gz.length]);
    expect(bytes).toBe(gz.length);
    expect(events).toBe(Math.ceil(gz.length / 16));
  });

  it('reads what CompressionStream wrote (the browser-side gzip round trip)', async () => {
    const gz = new Uint8Array(await new Response(new Blob([idx]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
    const { env: e } = env({ [URL_]: gz }, null, 5);
    const result = await readGzipIdx(URL_, FILE, e);
    expect([...result.array.data]).toEqual(values);
  });

  it('serves the second load from the cache without fetching', async () => {
    const cache = new MemoryCache();
    const { env: e, requested } = env({ [URL_]: gzipSync(idx) }, cache);
    await readGzipIdx(URL_, FILE, e);
    expect(requested).toEqual([URL_]);
    expect(cache.entries.has(URL_)).toBe(true);
    const again = await readGzipIdx(URL_, FILE, e);
    expect(requested).toEqual([URL_]);
    expect(again.fromCache).toBe(true);
    expect([...again.array.data]).toEqual(values);
  });

  it('accepts a body the server already decompressed, with progress ending at the compressed length', async () => {
    // With Content-Encoding: gzip the browser hands over IDX bytes, while Content-Length counts gzip bytes.
    const compressedLength = 41;
    const e: LoaderEnv = {
      fetch: async () => chunkedResponse(idx, { chunkSize: 9, headers: { 'content-length': String(compressedLength) } }),
      cache: null,
    };
    let bytes = 0;
    const result = await readGzipIdx(URL_, FILE, e, { onBytes: (n) => (bytes += n) });
    expect(result.array.shape).toEqual([3, 4, 5]);
    expect(bytes).toBe(compressedLength);
    expect(result.compressedBytes).toBe(compressedLength);
  });

  it('names the file and the damage for a corrupt gzip stream, and does not cache it', async () => {
    const gz = gzipSync(makeIdx([200], Array.from({ length: 200 }, (_, i) => (i * i) % 251)));
    const corrupt = Uint8Array.from(gz);
    for (let i = 12; i < corrupt.length - 10; i += 3) corrupt[i] = corrupt[i]! ^ 0x5a;
    const cache = new MemoryCache();
    const { env: e } = env({ [URL_]: corrupt }, cache);
    const error = await failure(readGzipIdx(URL_, FILE, e));
    expect(error).toBeInstanceOf(DatasetFileError);
    expect(error.message).toMatch(/^images\.gz: the gzip data is corrupt or truncated: decompression failed after \d+ compressed bytes/);
    expect(cache.entries.size).toBe(0);
  });

  it('names the file for a truncated gzip stream', async () => {
    const gz = gzipSync(idx);
    const { env: e } = env({ [URL_]: gz.subarray(0, Math.floor(gz.length / 2)) });
    const error = await failure(readGzipIdx(URL_, FILE, e));
    expect(error.message).toContain(`images.gz: the gzip data is corrupt or truncated: decompression failed after ${Math.floor(gz.length / 2)} compressed bytes`);
  });

  it('reports a truncated IDX payload inside a valid gzip stream', async () => {
    const { env: e } = env({ [URL_]: gzipSync(idx.subarray(0, idx.length - 7)) });
    const error = await failure(readGzipIdx(URL_, FILE, e));
    expect(error).toBeInstanceOf(IdxError);
    expect(error.message).toBe('images.gz: truncated: the header promises 60 values [3 × 4 × 5], the file has 53');
  });

  it('reports a wrong magic number inside a valid gzip stream', async () => {
    const wrong = Uint8Array.from(idx);
    wrong[0] = 0x50;
    wrong[1] = 0x4b;
    const { env: e } = env({ [URL_]: gzipSync(wrong) });
    const error = await failure(readGzipIdx(URL_, FILE, e));
    expect(error.message).toMatch(/^images\.gz: wrong magic number 0x504b0803/);
  });

  it('says when the server sent a page instead of the file', async () => {
    const html = new TextEncoder().encode('<!doctype html><html><body>app</body></html>');
    const { env: e } = env({ [URL_]: html });
    const error = await failure(readGzipIdx(URL_, FILE, e));
    expect(error.message).toMatch(/^images\.gz: not a gzip file: it starts with "<!doctype html>…", an HTML page/);
  });

  it('says which bytes a non-gzip, non-IDX file starts with', async () => {
    const { env: e } = env({ [URL_]: Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 1, 2, 3) });
    const error = await failure(readGzipIdx(URL_, FILE, e));
    expect(error.message).toBe('images.gz: not a gzip file: it starts with bytes 89 50 4e 47 (a gzip file starts with 1f 8b)');
  });

  it('reports HTTP errors with the status and the URL', async () => {
    const { env: e } = env({});
    const error = await failure(readGzipIdx(URL_, FILE, e));
    expect(error.message).toBe(`images.gz: HTTP 404 Not Found from ${URL_}`);
  });

  it('reports an empty file', async () => {
    const { env: e } = env({ [URL_]: new Uint8Array(0) });
    const error = await failure(readGzipIdx(URL_, FILE, e));
    expect(error.message).toBe(`images.gz: empty file at ${URL_}`);
  });

  it('reports a download that breaks off', async () => {
    const gz = gzipSync(makeIdx([500], new Uint8Array(500).map((_, i) => (i * 7919) % 256)));
    const e: LoaderEnv = { fetch: async () => chunkedResponse(gz, { chunkSize: 20, failAfter: 40 }), cache: null };
    const error = await failure(readGzipIdx(URL_, FILE, e));
    expect(error.message).toBe(`images.gz: the download from ${URL_} failed after 40 bytes (network error: connection reset)`);
  });

  it('reports a fetch that fails outright', async () => {
    const e: LoaderEnv = {
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
      cache: null,
    };
    const error = await failure(readGzipIdx(URL_, FILE, e));
    expect(error.message).toBe(`images.gz: could not be downloaded from ${URL_} (Failed to fetch)`);
  });

  it('stops when aborted, with the abort reason', async () => {
    const controller = new AbortController();
    const gz = gzipSync(makeIdx([5000], new Uint8Array(5000)));
    const { env: e } = env({ [URL_]: gz }, null, 8);
    let calls = 0;
    const promise = readGzipIdx(URL_, FILE, { ...e, signal: controller.signal }, {
      onBytes: () => {
        if (++calls === 2) controller.abort(new Error('stop now'));
      },
    });
    await expect(promise).rejects.toThrow('stop now');
  });

  it('goes on, with a warning, when the cache refuses a file', async () => {
    const warnings: string[] = [];
    const cache = new MemoryCache();
    cache.put = async () => {
      throw new DOMException('Quota exceeded', 'QuotaExceededError');
    };
    const { env: e } = env({ [URL_]: gzipSync(idx) }, cache);
    const result = await readGzipIdx(URL_, FILE, { ...e, warn: (m) => warnings.push(m) });
    expect(result.array.shape).toEqual([3, 4, 5]);
    expect(warnings).toEqual(['images.gz: not cached (Quota exceeded); it will be downloaded again next time']);
  });
});
