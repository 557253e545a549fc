// The test tiers' side of running the built services: port blocks that keep the services of one
// test file apart. Starting and stopping them is tools/service-runner's, shared with the bench.
export {
  entryPoint,
  type ExitedService,
  type RunningService,
  runUntilExit,
  type ServiceName,
  startService,
  stopService,
} from '../../tools/service-runner/service-runner';

// Service ports lie above Linux's ephemeral range (32768-60999 by default): a port picked inside
// it can be taken at any moment by an outgoing connection of the tests or the servers (seen on a
// fresh clone: a query API failed with EADDRINUSE on 40582). Blocks of 10 ports, the first one
// random, the next ones in sequence, so the services of one test file never share a block.
const PORT_BLOCKS = { first: 61_000, count: 400, size: 10 };
let nextBlock = Math.floor(Math.random() * PORT_BLOCKS.count);

/** Ports for one set of services (callers use base + 0..9). */
export function portBlock(): { producer: number; processor: number; queryApi: number } {
  const base = PORT_BLOCKS.first + (nextBlock % PORT_BLOCKS.count) * PORT_BLOCKS.size;
  nextBlock += 1;
  return { producer: base, processor: base + 1, queryApi: base + 2 };
}
