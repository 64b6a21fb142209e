import { deflateSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../dsl/examples';
import { DEFAULT_SOURCES } from '../editor/defaultSources';
import { emptyOverrides } from '../store/settings';
import { MAX_HASH_CHARS, decodeShareHash, encodePayload, encodeShareHash, readShareLocation, shareUrl, type ShareState } from './link';

function state(files: Partial<ShareState['files']> = {}, settings: Partial<ShareState['settings']> = {}): ShareState {
  return { files: { ...DEFAULT_SOURCES, ...files }, settings: { ...emptyOverrides(), ...settings } };
}

function hashOf(payload: unknown): string {
  const bytes = deflateSync(strToU8(JSON.stringify(payload)));
  return `#s1=${btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

describe('share links', () => {
  it('round-trips both files and every setting override', () => {
    const original = state(
      { 'model.ts': `${DEFAULT_SOURCES['model.ts']}\n// ünïcødé ✓ and a long line ${'x'.repeat(5000)}`, 'qconfig.ts': 'export default {};' },
      { data: { trainSubset: 512, testSubset: 256 }, qat: { epochs: 2, lr: 0.002, milestones: [1] }, convert: { requantMode: 'float' } },
    );
    const hash = encodeShareHash(original);
    expect(hash).toMatch(/^#s1=[A-Za-z0-9_-]+$/);
    expect(hash.length).toBeLessThan(2000);
    expect(readShareLocation({ hash })).toEqual({ kind: 'state', state: original });
  });

  it('leaves out what equals the defaults', () => {
    expect(encodeShareHash(state())).toBe('');
    expect(encodePayload(state({ 'qconfig.ts': '// mine' }))).toEqual({ q: '// mine' });
    expect(encodePayload(state({}, { data: { trainSubset: 512 } }))).toEqual({ s: { data: { trainSubset: 512 } } });
    const int16 = EXAMPLES.find((e) => e.id === 'int16')!;
    const payload = encodePayload(state(int16.files));
    expect(payload).toEqual({ e: 'int16' });
    expect(decodeShareHash(encodeShareHash(state(int16.files))).files).toEqual(int16.files);
  });

  it('builds the link from the page address without its old hash', () => {
    const link = shareUrl({ origin: 'http://127.0.0.1:4173', pathname: '/play/', search: '?x=1' }, state({ 'qconfig.ts': '// q' }));
    expect(link.startsWith('http://127.0.0.1:4173/play/?x=1#s1=')).toBe(true);
  });

  it('reads an empty hash as nothing', () => {
    expect(readShareLocation({ hash: '' })).toEqual({ kind: 'none' });
    expect(readShareLocation({ hash: '#' })).toEqual({ kind: 'none' });
  });

  it('says what is wrong with a malformed hash', () => {
    const cases: [string, string][] = [
      ['#other', 'is not a QAT Playground share link'],
      ['#s1=%%%', "characters base64url does not use"],
      ['#s1=AAAA', 'does not decompress'],
      [hashOf('just a string'), 'holds no state object'],
      [hashOf({ m: 42 }), "model.ts is not text"],
      [hashOf({ e: 'nope' }), 'names an example "nope"'],
      [hashOf({ z: 1 }), "unknown fields 'z'"],
      [hashOf({ s: { qat: { lr: -1 } } }), 'lr must be a number > 0, got -1'],
      [hashOf({ s: { qat: { lrate: 1 } } }), "unknown qat setting 'lrate'"],
    ];
    for (const [hash, message] of cases) {
      const read = readShareLocation({ hash });
      expect(read.kind, hash).toBe('error');
      if (read.kind === 'error') {
        expect(read.message).toContain(message);
        expect(read.message).toContain('The default example is loaded instead');
      }
    }
    const bad = `#s1=${deflateSync(strToU8('{')).length}`;
    expect(readShareLocation({ hash: bad }).kind).toBe('error');
  });

  it('refuses oversized hashes and state that inflates past the limit', () => {
    const long = readShareLocation({ hash: `#s1=${'A'.repeat(MAX_HASH_CHARS + 1)}` });
    expect(long).toMatchObject({ kind: 'error' });
    expect(long.kind === 'error' && long.message).toContain('more than the 100,000 allowed');
    // 2 MB of one character compresses to a couple of KB.
    const bomb = readShareLocation({ hash: hashOf({ m: 'a'.repeat(2 << 20) }) });
    expect(bomb.kind === 'error' && bomb.message).toContain('more than 1024 KiB of state');
  });
});
