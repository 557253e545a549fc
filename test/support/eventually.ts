// The test tiers assert asynchronous outcomes with the service runner's poll-with-deadline.
export { expectEventually } from '../../tools/service-runner/eventually';
