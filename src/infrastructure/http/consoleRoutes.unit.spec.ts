import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { addConsoleRoutes, findConsoleAssets } from './consoleRoutes';
import { errorMiddleware } from './errorMiddleware';

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as never;

function appServing(assets: string | undefined) {
  const app = express();
  addConsoleRoutes(app, assets);
  app.use(errorMiddleware(silent));
  return app;
}

describe('the console routes', () => {
  let assets: string;
  beforeAll(() => {
    assets = mkdtempSync(join(tmpdir(), 'console-assets-'));
    mkdirSync(join(assets, 'assets'));
    writeFileSync(
      join(assets, 'index.html'),
      '<!doctype html><script type="module" src="/console/assets/a.js"></script>',
    );
    writeFileSync(join(assets, 'assets', 'a-123.js'), 'export {}');
  });
  afterAll(() => rmSync(assets, { recursive: true, force: true }));

  it('serve the page under a CSP with no inline style and no upgrade to https, the page never cached', async () => {
    const page = await request(appServing(assets)).get('/console/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('/console/assets/a.js');
    expect(page.headers['cache-control']).toBe('no-cache');
    const policy = page.headers['content-security-policy'] as string;
    expect(policy).toContain("script-src 'self'");
    expect(policy).toMatch(/style-src 'self'(;|$)/);
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).not.toContain('upgrade-insecure-requests');
  });

  it('serve hashed assets as immutable, and an unknown file is a 404 in the error shape', async () => {
    const app = appServing(assets);
    const asset = await request(app).get('/console/assets/a-123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    const missing = await request(app).get('/console/assets/nope.js');
    expect(missing.status).toBe(404);
  });

  it('answer a console that was not built with a 404 that says how to build it', async () => {
    const answer = await request(appServing(undefined)).get('/console/');
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('npm run build:console'),
    });
  });

  it('find console/dist beside the package.json above a folder, and nothing past it', () => {
    const root = mkdtempSync(join(tmpdir(), 'console-root-'));
    try {
      mkdirSync(join(root, 'console', 'dist'), { recursive: true });
      mkdirSync(join(root, 'dist', 'src', 'http'), { recursive: true });
      writeFileSync(join(root, 'package.json'), '{}');
      expect(findConsoleAssets(join(root, 'dist', 'src', 'http'))).toBeUndefined();
      writeFileSync(join(root, 'console', 'dist', 'index.html'), '');
      expect(findConsoleAssets(join(root, 'dist', 'src', 'http'))).toBe(join(root, 'console', 'dist'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
