/** Steps' polling wait; it lives with the adapters (services.waiter), so a dry run can swap it. */
export { waitFor, type WaitOptions } from '../adapters/wait.js';
