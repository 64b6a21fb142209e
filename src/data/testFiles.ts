/**
 * Helpers for data tests: small IDX files made in memory, and fetch/cache fakes that serve them in
 * chunks the way a network would.
 */
import type { CacheLike } from './loader';

/** An IDX file of unsigned bytes with the given shape and values. */
export function makeIdx(shape: readonly number[], values: ArrayLike<number>): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((dim, i) => view.setUint32(4 + 4 * i, dim, false));
  const out = new Uint8Array(header.length + values.length);
  out.set(header);
  out.set(Uint8Array.from(values), header.length);
  return out;
}

/** A response whose body arrives in chunks of `chunkSize` bytes; `failAfter` makes the stream error. */
export function chunkedResponse(
  bytes: Uint8Array,
  options: { chunkSize?: number; failAfter?: number; status?: number; headers?: Record<string, string> } = {},
): Response {
  const chunkSize = options.chunkSize ?? 1000;
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (options.failAfter !== undefined && offset >= options.failAfter) {
        controller.error(new TypeError('network error: connection reset'));
        return;
      }
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
  return new Response(body, {
    status: options.status ?? 200,
    headers: { 'content-length': String(bytes.length), ...options.headers },
  });
}

/** Serves fixed bytes per URL and records which URLs were fetched. */
export function fakeFetch(files: Record<string, Uint8Array>, chunkSize = 1000) {
  const requested: string[] = [];
  const fetch = async (url: string): Promise<Response> => {
    requested.push(url);
    const bytes = files[url];
    if (!bytes) return new Response('<!doctype html><title>Not found</title>', { status: 404, statusText: 'Not Found' });
    return chunkedResponse(bytes, { chunkSize });
  };
  return { fetch, requested };
}

/** An in-memory Cache API. */
export class MemoryCache implements CacheLike {
  readonly entries = new Map<string, Uint8Array>();

  async match(url: string): Promise<Response | undefined> {
    const bytes = this.entries.get(url);
    return bytes ? new Response(bytes.slice(), { headers: { 'content-length': String(bytes.length) } }) : undefined;
  }

  async put(url: string, response: Response): Promise<void> {
    this.entries.set(url, new Uint8Array(await response.arrayBuffer()));
  }
}
