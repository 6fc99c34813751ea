import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { allEvents, startTestService, testTokens, validOrder, type TestService } from '../app/testing/testService';
import { rawExchange } from '../../testing/rawHttp';

/**
 * Failed authentications are throttled per client address in the service as built (SPEC §5:
 * guessing tokens must cost something), and the throttle holds back only the address that failed.
 */
const client = `Bearer ${testTokens.client}`;
const failuresPerMinute = 3;

let harness: TestService;

beforeAll(async () => {
  harness = await startTestService('sqlite', { AUTH_FAILURES_PER_MINUTE: String(failuresPerMinute) });
});
afterAll(() => harness.dispose());

describe('failed authentication throttle', () => {
  it('refuses an address past AUTH_FAILURES_PER_MINUTE failures with 429, a valid token included, appending nothing', async () => {
    const app = harness.service.createHttpApp();
    const before = (await allEvents(harness.service.eventStore)).length;
    for (let i = 0; i < failuresPerMinute; i++) {
      const guess = await request(app).post('/orders').set('Authorization', `Bearer guess-${i}-0123456789abcdef`);
      expect(guess.status).toBe(401);
    }
    const refused = await request(app).post('/orders').set('Authorization', client).send(validOrder());
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(refused.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String) } });
    expect((await allEvents(harness.service.eventStore)).length).toBe(before);
    // Unauthenticated routes are not behind the throttle: the service still says it is ready.
    expect((await request(app).get('/readyz')).status).toBe(200);
  });

  it('never slows a client that authenticates correctly from another address', async () => {
    const server = await harness.service.serve(0);
    const { port } = server.address() as AddressInfo;
    const guessFrom127002 = (token: string) =>
      rawExchange(
        port,
        `GET /sagas HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
        { localAddress: '127.0.0.2' },
      );
    for (let i = 0; i < failuresPerMinute + 3; i++) {
      await guessFrom127002(`guess-${i}-0123456789abcdef`);
      const honest = await request(`http://127.0.0.1:${port}`).get('/sagas').set('Authorization', client);
      expect(honest.status).toBe(200);
    }
    expect((await guessFrom127002(testTokens.client)).status).toBe(429);
  });
});
