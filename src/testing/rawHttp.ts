import { connect } from 'node:net';

/**
 * One exchange over a raw TCP socket, for requests no HTTP client will send (raw non-ASCII bytes
 * in the path, a 100 KB header). Resolves with everything the server wrote once it closes the
 * connection, or when `untilIdleMs` passes with nothing more arriving (a kept-alive connection).
 * Given several parts, sends each next one once the server has answered something: a second
 * request on a kept-alive connection, after the first one's response.
 */
export type RawResponse = Readonly<{
  statusLine: string;
  status: number;
  headers: Readonly<Record<string, string>>;
  body: string;
  /** Whatever followed the first response (a second, pipelined one). */
  rest: string;
  /** The server closed the connection (FIN) or cut it (reset). */
  closed: 'end' | 'reset' | 'open';
}>;

export type RawExchangeOptions = Readonly<{
  untilIdleMs?: number;
  /** The client address the server sees, e.g. 127.0.0.2 (any of 127.0.0.0/8 on Linux). */
  localAddress?: string;
}>;

export function rawExchange(
  port: number,
  request: Buffer | string | readonly (Buffer | string)[],
  { untilIdleMs = 2_000, localAddress }: RawExchangeOptions = {},
): Promise<RawResponse> {
  const parts = Array.isArray(request) ? [...request] : [request];
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) }, () =>
      socket.write(parts.shift()!),
    );
    const chunks: Buffer[] = [];
    let closed: RawResponse['closed'] = 'open';
    const finish = () => {
      clearTimeout(idle);
      socket.destroy();
      try {
        resolve({ ...parseRawResponse(Buffer.concat(chunks).toString('utf8')), closed });
      } catch (error) {
        reject(error as Error);
      }
    };
    let idle = setTimeout(finish, untilIdleMs);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (parts.length > 0) socket.write(parts.shift()!);
      clearTimeout(idle);
      idle = setTimeout(finish, untilIdleMs);
    });
    socket.on('end', () => (closed = 'end'));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') closed = 'reset';
      else reject(error);
    });
    socket.on('close', finish);
  });
}

/** Splits the first response (its body sized by Content-Length) from what followed it. */
export function parseRawResponse(text: string): Omit<RawResponse, 'closed'> {
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) return { statusLine: '', status: 0, headers: {}, body: '', rest: text };
  const [statusLine = '', ...lines] = text.slice(0, headEnd).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  const afterHead = Buffer.from(text.slice(headEnd + 4), 'utf8');
  const length = headers['content-length'] === undefined ? afterHead.length : Number(headers['content-length']);
  return {
    statusLine,
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: afterHead.subarray(0, length).toString('utf8'),
    rest: afterHead.subarray(length).toString('utf8'),
  };
}
