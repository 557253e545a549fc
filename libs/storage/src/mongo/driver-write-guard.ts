// A fix for a hang in the MongoDB Node.js driver (verified in 7.8.0 and 7.9.1,
// lib/cmap/connection.js `Connection.writeCommand`), applied once when this module loads.
//
// When `socket.write()` returns false the driver waits for the socket's 'drain' or 'error' event.
// A socket whose peer closed it (a server restarting sends FIN) is destroyed one event-loop turn
// before it emits 'close', and the driver marks its connection closed only on that 'close'. A
// command written in that window gets `false` from write(), an EPIPE in the write callback that
// nobody reads, and neither 'drain' nor 'error': it never settles. The driver's later 'close'
// handler fails only a command that is already reading its reply, not one still writing.
//
// It hit the server monitor (issue 15): a write on a pool connection fails because the server
// went away, the driver asks its monitor for an immediate check, and the monitor sends `hello`
// on its own connection, which the same restart had just closed. The check never ends, the
// monitor never checks again, the server stays "Unknown", and every later operation fails server
// selection with the error that made it Unknown ("connection 4 to 127.0.0.1:27018 closed") —
// long after the database is back. The same window can hang any pool write the same way.
//
// The guard settles such a write: a socket already destroyed fails the write at once, and a
// connection that closes while a write waits for 'drain' fails it with the connection's error.
// The driver then does what it does with any network error (closes the connection, clears the
// pool, checks the server again). `driverWriteGuardInstalled()` is asserted by a unit test that
// reproduces the hang against the installed driver, so an upgrade that changes these internals
// fails the tests instead of silently dropping the fix.
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { MongoNetworkError } from 'mongodb';

/** The parts of the driver's internal Connection the guard relies on. */
interface DriverConnection extends EventEmitter {
  socket: Socket;
  id: number | string;
  address: string;
  closed: boolean;
  error: Error | null;
  onError(error: Error): void;
}

type WriteCommand = (this: DriverConnection, ...args: unknown[]) => Promise<void>;

interface DriverConnectionClass {
  prototype: { writeCommand?: WriteCommand };
  CLOSE?: string;
}

const GUARDED = Symbol.for('tokenmeter.mongodb.writeGuard');

function closedError(connection: DriverConnection): Error {
  return connection.error ?? new MongoNetworkError(`connection ${connection.id} to ${connection.address} closed`);
}

/** Settles `write` with the connection's error if the connection closes before it settles. */
function settleOnClose(connection: DriverConnection, closeEvent: string, write: Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onClose = () => reject(closedError(connection));
    connection.once(closeEvent, onClose);
    write.then(
      () => {
        connection.off(closeEvent, onClose);
        resolve();
      },
      (error: unknown) => {
        connection.off(closeEvent, onClose);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * The driver's Connection class, through the same module loader as `import 'mongodb'` (so jest's
 * registry in tests, Node's cache in the services): the class patched is the class used.
 */
function loadConnectionClass(): DriverConnectionClass | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module without types
    const module = require('mongodb/lib/cmap/connection') as { Connection?: DriverConnectionClass };
    return module.Connection;
  } catch {
    return undefined;
  }
}

function install(): boolean {
  const Connection = loadConnectionClass();
  const original = Connection?.prototype.writeCommand;
  if (Connection === undefined || typeof original !== 'function') return false;
  if ((original as unknown as Record<symbol, unknown>)[GUARDED] === true) return true;
  const closeEvent = Connection.CLOSE ?? 'close';
  const guarded: WriteCommand = function (this: DriverConnection, ...args: unknown[]): Promise<void> {
    if (this.closed || this.socket.destroyed) {
      const error = closedError(this);
      this.onError(error);
      return Promise.reject(error);
    }
    return settleOnClose(this, closeEvent, original.apply(this, args));
  };
  (guarded as unknown as Record<symbol, unknown>)[GUARDED] = true;
  Connection.prototype.writeCommand = guarded;
  return true;
}

const installed = install();

/** True when the driver's Connection was found and its writes are guarded. */
export function driverWriteGuardInstalled(): boolean {
  return installed;
}
