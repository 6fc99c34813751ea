import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { FulfillmentError } from '../../domain/errors';

/**
 * The operator console (docs/console.md): the static files Vite builds from `console/` into
 * `console/dist` (npm install's `prepare` script builds them), served at /console by every process
 * that serves the API. The page itself needs no token: it holds no data, and asks for a token
 * before it reads any.
 */
export const consolePath = '/console';

/**
 * helmet's policy for the console, two directives changed, both on purpose:
 * - `style-src 'self'`: the console has no inline style (Vite emits one CSS file), so helmet's
 *   `'unsafe-inline'` and `https:` for styles are not needed, and are left out;
 * - no `upgrade-insecure-requests`: the service speaks plain HTTP, so a console opened at
 *   `http://<host>:3000/console` from another machine would have its own scripts and API calls
 *   rewritten to https:// and fail (put TLS in front of the service instead; it then applies anyway).
 */
export const consoleContentSecurityPolicy = (() => {
  const directives: Record<string, Iterable<string> | null> = {
    ...helmet.contentSecurityPolicy.getDefaultDirectives(),
    'style-src': ["'self'"],
    'upgrade-insecure-requests': null,
  };
  let header = '';
  helmet.contentSecurityPolicy({ useDefaults: false, directives })(
    {} as never,
    { setHeader: (_name: string, value: string) => (header = value) } as never,
    () => undefined,
  );
  return header;
})();

/** Where the built console is: `console/dist` beside the package.json above this file (sources or build). */
export function findConsoleAssets(from = __dirname): string | undefined {
  for (let folder = from; ; folder = dirname(folder)) {
    const assets = join(folder, 'console', 'dist');
    if (existsSync(join(assets, 'index.html'))) return assets;
    if (existsSync(join(folder, 'package.json')) || dirname(folder) === folder) return undefined;
  }
}

class ConsoleNotBuiltError extends FulfillmentError {
  constructor() {
    super(
      'NOT_FOUND',
      'the console is not built: run `npm run build:console` (npm install and npm ci run it) and restart the service',
    );
  }
}

export function addConsoleRoutes(app: Express, assets: string | undefined): void {
  const policy: RequestHandler = (_req, res, next) => {
    res.setHeader('Content-Security-Policy', consoleContentSecurityPolicy);
    next();
  };
  if (!assets) {
    app.use(consolePath, () => {
      throw new ConsoleNotBuiltError();
    });
    return;
  }
  app.use(
    consolePath,
    policy,
    express.static(assets, {
      index: 'index.html',
      // Vite names every asset by its content hash: a new build is a new URL. index.html names them.
      setHeaders: (res, path) =>
        res.setHeader(
          'Cache-Control',
          path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
        ),
    }),
  );
}
