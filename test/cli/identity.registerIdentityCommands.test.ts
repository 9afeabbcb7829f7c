import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';

describe('scoreflow identity normalize', () => {
  it("prints Meta's published test vectors (docs/destinations/meta-custom-audiences.md)", async () => {
    const meta = (type: string, value: string) => runCli(['identity', 'normalize', '--platform', 'meta', '--type', type, value, '--json']);
    const [email, phone, name] = await Promise.all([meta('email', 'John_Smith@gmail.com'), meta('phone', '(650)555-1212'), meta('fn', 'Mary')]);
    expect(email.code).toBe(0);
    expect(email.json).toEqual({ ok: true, platform: 'meta', type: 'email', normalized: 'john_smith@gmail.com', sha256: '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f', sentHashed: true });
    expect(phone.json).toMatchObject({ normalized: '16505551212', sha256: 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176' });
    expect(name.json).toMatchObject({ normalized: 'mary', sha256: '6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec' });
  });

  it("applies Google's gmail rules and E.164 phones, reading the value from stdin with -", async () => {
    const email = await runCli(['identity', 'normalize', '--platform', 'google', '--type', 'email', '-', '--json'], { input: ' John.Smith+promo@GoogleMail.com \n' });
    expect(email.json).toMatchObject({ normalized: 'johnsmith@googlemail.com' });
    const phone = await runCli(['identity', 'normalize', '--platform', 'google', '--type', 'phone', '(800)555-0100', '--json']);
    expect(phone.json).toMatchObject({ normalized: '+18005550100' });
    expect(phone.json.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports a malformed value by its reason code, exit 1, without echoing it', async () => {
    const value = 'not-an-email-7f3a';
    const res = await runCli(['identity', 'normalize', '--platform', 'meta', '--type', 'email', value, '--json']);
    expect(res.code).toBe(1);
    expect(res.json).toEqual({ ok: false, error: 'MalformedIdentifier', message: expect.stringContaining('email_missing_at') });
    expect(res.stdout).not.toContain(value);
    expect(res.stderr).not.toContain(value);
  });

  it('refuses an unknown platform or type as a usage error (exit 2), naming the flag and the choices', async () => {
    const res = await runCli(['identity', 'normalize', '--platform', 'tiktok', '--type', 'email', 'a@b.co', '--json']);
    expect(res.code).toBe(2);
    expect(res.json).toMatchObject({ ok: false, error: 'UsageError', code: 'commander.invalidArgument' });
    expect(res.json.message).toBe("option '--platform <platform>' argument 'tiktok' is invalid. Allowed choices are google, meta.");
  });
});
