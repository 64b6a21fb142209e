/**
 * Share links: both editor files and every setting override, as compressed JSON in the URL hash
 * (`#s1=<base64url(deflate(json))>`), leaving out what equals the defaults: a file equal to the default
 * example's is omitted, two files equal to a gallery example become its id, and settings are overrides
 * only. Opening a link restores that state and runs nothing (the page waits for Run).
 *
 * The reading side takes the location as a parameter, so it is testable without a page.
 */
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import { EXAMPLES } from '../dsl/examples';
import { DEFAULT_EXAMPLE_ID, DEFAULT_SOURCES, SOURCE_FILES, type SourceFile } from '../editor/defaultSources';
import { SETTING_GROUPS, emptyOverrides, mergeOverrides, validateOverrides, type SettingsOverrides } from '../store/settings';

export interface ShareState {
  files: Record<SourceFile, string>;
  settings: SettingsOverrides;
}

export const SHARE_KEY = 's1';
/** Longer hashes are refused before decoding (browsers keep URLs of a few MB; nobody should share one). */
export const MAX_HASH_CHARS = 100_000;
/** Decompressed JSON larger than this is refused (a small hash can inflate to a lot). */
export const MAX_JSON_BYTES = 1 << 20;

/** The payload: short keys, each left out when it holds only defaults. */
interface Payload {
  /** A gallery example both files equal. */
  e?: string;
  /** Files that differ from the default example: m = model.ts, q = qconfig.ts. */
  m?: string;
  q?: string;
  /** Non-empty settings groups. */
  s?: Partial<SettingsOverrides>;
}

export function encodePayload(state: ShareState): Payload {
  const payload: Payload = {};
  const example = EXAMPLES.find((e) => SOURCE_FILES.every((f) => e.files[f] === state.files[f]));
  if (example && example.id !== DEFAULT_EXAMPLE_ID) payload.e = example.id;
  else if (!example) {
    if (state.files['model.ts'] !== DEFAULT_SOURCES['model.ts']) payload.m = state.files['model.ts'];
    if (state.files['qconfig.ts'] !== DEFAULT_SOURCES['qconfig.ts']) payload.q = state.files['qconfig.ts'];
  }
  const settings: Partial<SettingsOverrides> = {};
  for (const group of SETTING_GROUPS) {
    if (Object.keys(state.settings[group]).length) (settings as Record<string, unknown>)[group] = state.settings[group];
  }
  if (Object.keys(settings).length) payload.s = settings;
  return payload;
}

/** The hash of a share link for `state` (with the leading '#'); '' when everything is default. */
export function encodeShareHash(state: ShareState): string {
  const payload = encodePayload(state);
  if (Object.keys(payload).length === 0) return '';
  const bytes = deflateSync(strToU8(JSON.stringify(payload)), { level: 9 });
  return `#${SHARE_KEY}=${toBase64Url(bytes)}`;
}

/** The whole link: the page's address without its hash, plus the state's hash. */
export function shareUrl(location: Pick<Location, 'origin' | 'pathname' | 'search'>, state: ShareState): string {
  return `${location.origin}${location.pathname}${location.search}${encodeShareHash(state)}`;
}

export class ShareLinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShareLinkError';
  }
}

/** Decodes a hash made by encodeShareHash; throws ShareLinkError saying what is wrong. */
export function decodeShareHash(hash: string): ShareState {
  const body = hash.startsWith('#') ? hash.slice(1) : hash;
  const prefix = `${SHARE_KEY}=`;
  if (!body.startsWith(prefix)) throw new ShareLinkError(`the link's hash does not start with '#${prefix}'`);
  if (body.length > MAX_HASH_CHARS) {
    throw new ShareLinkError(`the link's hash is ${body.length.toLocaleString('en-US')} characters, more than the ${MAX_HASH_CHARS.toLocaleString('en-US')} allowed`);
  }
  const encoded = body.slice(prefix.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) throw new ShareLinkError('the link is damaged: its data has characters base64url does not use');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(encoded);
  } catch {
    throw new ShareLinkError('the link is damaged: its data is not valid base64url');
  }
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(bytes, { out: new Uint8Array(MAX_JSON_BYTES + 1) });
  } catch (error) {
    throw new ShareLinkError(`the link is damaged: its data does not decompress (${error instanceof Error ? error.message : String(error)})`);
  }
  if (inflated.length > MAX_JSON_BYTES) throw new ShareLinkError(`the link holds more than ${MAX_JSON_BYTES / 1024} KiB of state`);
  let payload: unknown;
  try {
    payload = JSON.parse(strFromU8(inflated));
  } catch {
    throw new ShareLinkError('the link is damaged: its data is not JSON');
  }
  return fromPayload(payload);
}

function fromPayload(payload: unknown): ShareState {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new ShareLinkError('the link holds no state object');
  const p = payload as Record<string, unknown>;
  const unknown = Object.keys(p).filter((k) => !['e', 'm', 'q', 's'].includes(k));
  if (unknown.length) throw new ShareLinkError(`the link has unknown fields ${unknown.map((k) => `'${k}'`).join(', ')}`);
  let files: Record<SourceFile, string> = { ...DEFAULT_SOURCES };
  if (p.e !== undefined) {
    const example = EXAMPLES.find((e) => e.id === p.e);
    if (!example) throw new ShareLinkError(`the link names an example ${JSON.stringify(p.e)} this page does not have`);
    files = { ...example.files };
  }
  for (const [key, file] of [['m', 'model.ts'], ['q', 'qconfig.ts']] as const) {
    const text = p[key];
    if (text === undefined) continue;
    if (typeof text !== 'string') throw new ShareLinkError(`the link's ${file} is not text`);
    files[file] = text;
  }
  let settings = emptyOverrides();
  if (p.s !== undefined) {
    try {
      settings = mergeOverrides(settings, validateOverrides(p.s));
    } catch (error) {
      throw new ShareLinkError(`the link's settings are not valid: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { files, settings };
}

export type ShareRead = { kind: 'none' } | { kind: 'state'; state: ShareState } | { kind: 'error'; message: string };

/** What the location's hash holds: nothing of ours, a state, or why it could not be read. */
export function readShareLocation(location: Pick<Location, 'hash'>): ShareRead {
  const hash = location.hash;
  if (!hash || hash === '#') return { kind: 'none' };
  if (!hash.startsWith(`#${SHARE_KEY}=`)) {
    return { kind: 'error', message: `This link's hash (${abbreviate(hash)}) is not a QAT Playground share link. The default example is loaded instead.` };
  }
  try {
    return { kind: 'state', state: decodeShareHash(hash) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'error', message: `This share link could not be opened: ${message}. The default example is loaded instead.` };
  }
}

function abbreviate(text: string): string {
  return text.length > 24 ? `${text.slice(0, 21)}…` : text;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
