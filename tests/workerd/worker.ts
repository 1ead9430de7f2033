/**
 * The test Worker: the Worker example (examples/worker.ts) as it is. workerd runs JavaScript, so
 * tests/integration/workerd_test.ts bundles this file with `bun build` and serves it with
 * tests/workerd/config.capnp.
 */
export { default } from "../../examples/worker.ts";
