import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../config/config';
import { createSqliteTestDatabase, type TestDatabase } from '../../testing/testServices';
import { seedCatalog } from './builtin/demoCatalog';
import { createParticipants } from './createParticipants';
import { aStepRequest } from './testing/stepRequests';

describe('createParticipants', () => {
  let database: TestDatabase;
  let server: Server;
  let serviceUrl: string;
  const paths: string[] = [];

  beforeAll(async () => {
    database = await createSqliteTestDatabase({ migrate: ['service'] });
    server = createServer((req, res) => {
      paths.push(req.url!);
      req.resume().on('end', () => res.writeHead(200).end(JSON.stringify({ prescriptionId: 'rx-remote' })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serviceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await database.drop();
  });

  it('uses the built-in modules when no participant URL is configured', async () => {
    const participants = createParticipants({ db: database.db, config: loadConfig({ SHIPPING_COUNTRIES: 'US' }) });
    await seedCatalog(participants.catalog);
    const request = aStepRequest({ medications: [{ sku: 'AMOX-500-CAP', quantity: 5 }] });

    expect(await participants.prescriptions.createPrescription(request)).toMatchObject({ outcome: 'succeeded' });
    expect(await participants.inventory.reserve(request)).toMatchObject({ outcome: 'succeeded' });
    expect(await participants.shipping.initiateShipment(request)).toMatchObject({
      outcome: 'succeeded',
      carrier: 'UPS',
    });
    expect(await participants.catalog.getItem('AMOX-500-CAP')).toMatchObject({ reserved: 5 });
    expect(paths).toEqual([]);
  });

  it('calls the external service for each participant whose URL is set, the built-in module for the others', async () => {
    const config = loadConfig({ PRESCRIPTIONS_URL: serviceUrl, SHIPPING_COUNTRIES: 'GB' });
    const participants = createParticipants({ db: database.db, config });
    const request = aStepRequest({ medications: [{ sku: 'IBU-200-TAB', quantity: 1 }] });

    expect(await participants.prescriptions.createPrescription(request)).toEqual({
      outcome: 'succeeded',
      prescriptionId: 'rx-remote',
    });
    expect(paths).toEqual(['/prescriptions']);
    expect(await participants.inventory.reserve(request)).toMatchObject({ outcome: 'succeeded' });
    expect(await participants.shipping.initiateShipment(request)).toMatchObject({ code: 'UNSUPPORTED_DESTINATION' });
    expect(paths).toHaveLength(1);
  });
});
