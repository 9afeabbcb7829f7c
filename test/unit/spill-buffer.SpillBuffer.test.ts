import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readdirSync } from 'node:fs';
import { SpillBuffer } from '../../activities/feed/spill-buffer.ts';

async function readAll(b: SpillBuffer): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of b.chunks()) parts.push(c);
  return Buffer.concat(parts).toString();
}

const spillDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('scoreflow-spill-'));

describe('SpillBuffer', () => {
  it('returns appended bytes in order from memory', async () => {
    const b = new SpillBuffer(1024);
    for (const s of ['a', 'bc', '', 'def']) b.append(Buffer.from(s));
    expect(b.size).toBe(6);
    expect(await readAll(b)).toBe('abcdef');
    await b.dispose();
  });

  it('spills past its memory limit to a temporary file, keeps the order, and removes the file on dispose', async () => {
    const before = new Set(spillDirs());
    const b = new SpillBuffer(10);
    const parts = Array.from({ length: 50 }, (_, i) => `<${i}>`);
    for (const p of parts) b.append(Buffer.from(p));
    expect(await readAll(b)).toBe(parts.join(''));
    const created = spillDirs().filter((d) => !before.has(d));
    expect(created).toHaveLength(1);
    await b.dispose();
    expect(existsSync(`${tmpdir()}/${created[0]}`)).toBe(false);
  });

  it('never lets a later small chunk overtake a spilled one', async () => {
    const b = new SpillBuffer(8);
    b.append(Buffer.from('12345'));
    b.append(Buffer.from('6789ABCDEF')); // spills
    b.append(Buffer.from('G')); // would fit in memory, must follow the spill
    expect(await readAll(b)).toBe('123456789ABCDEFG');
    await b.dispose();
  });
});
