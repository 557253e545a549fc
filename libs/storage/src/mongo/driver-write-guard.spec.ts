// Reproduces the driver hang the guard fixes (issue 15) against the installed driver: a command
// written to a connection whose server just closed it (FIN) — after Node destroyed the socket,
// before it emitted 'close' — must fail with a network error instead of never settling.
import net from 'node:net';
import { MongoNetworkError } from 'mongodb';
import { driverWriteGuardInstalled } from './driver-write-guard';

interface TestConnection {
  closed: boolean;
  command(ns: unknown, command: Record<string, unknown>, options: Record<string, unknown>): Promise<unknown>;
  writeCommand(message: unknown, options: Record<string, unknown>): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the driver internals the guard patches */
const { Connection } = require('mongodb/lib/cmap/connection') as {
  Connection: new (socket: net.Socket, options: Record<string, unknown>) => TestConnection;
};
const { OpMsgRequest } = require('mongodb/lib/cmap/commands') as {
  OpMsgRequest: new (db: string, command: Record<string, unknown>, options: Record<string, unknown>) => unknown;
};
const { ns } = require('mongodb/lib/utils') as { ns: (namespace: string) => unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

/** A connection to a local server that closes every connection right after accepting it. */
async function connectionClosedByServer(): Promise<{
  connection: TestConnection;
  socket: net.Socket;
  close: () => void;
}> {
  const server = net.createServer((peer) => peer.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const connection = new Connection(socket, { id: 4, generation: 0 });
  return { connection, socket, close: () => server.close() };
}

/** Resolves on the first event-loop turn after the server's FIN, when the socket is destroyed but not yet closed. */
function inTheClosingWindow(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => socket.once('end', () => setImmediate(resolve)));
}

/** The outcome of `promise`, or 'pending' if it has not settled by the deadline (a hang). */
async function outcomeWithin(promise: Promise<unknown>, deadlineMs: number): Promise<'pending' | Error | 'resolved'> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), deadlineMs)));
  try {
    return await Promise.race([
      promise.then(
        () => 'resolved' as const,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('driver write guard', () => {
  it('is installed on the driver in node_modules', () => {
    expect(driverWriteGuardInstalled()).toBe(true);
  });

  it('fails a write to a connection the server closed a moment ago instead of hanging', async () => {
    const { connection, socket, close } = await connectionClosedByServer();
    try {
      await inTheClosingWindow(socket);
      // The window the driver misses: Node destroyed the socket, the driver has not seen 'close'.
      expect(socket.destroyed).toBe(true);
      expect(connection.closed).toBe(false);
      const outcome = await outcomeWithin(
        connection.writeCommand(new OpMsgRequest('admin', { ping: 1 }, {}), { agreedCompressor: 'none' }),
        3_000,
      );
      expect(outcome).toBeInstanceOf(MongoNetworkError);
      expect((outcome as Error).message).toBe(`connection 4 to 127.0.0.1:${socket.remotePort} closed`);
      expect(connection.closed).toBe(true);
    } finally {
      close();
    }
  });

  it('fails the monitor-style hello sent in that window, so the monitor checks again', async () => {
    const { connection, socket, close } = await connectionClosedByServer();
    try {
      await inTheClosingWindow(socket);
      const outcome = await outcomeWithin(
        connection.command(ns('admin.$cmd'), { hello: 1 }, { socketTimeoutMS: 0 }),
        3_000,
      );
      expect(outcome).toBeInstanceOf(MongoNetworkError);
    } finally {
      close();
    }
  });
});
